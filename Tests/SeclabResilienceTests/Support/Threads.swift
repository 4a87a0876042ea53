import Foundation
import SeclabTestSupport
#if canImport(Glibc)
import Glibc
#endif

/// Children of `pid` (from /proc/PID/task/*/children).
func childPIDs(of pid: pid_t) -> [pid_t] {
    let tasks = (try? FileManager.default.contentsOfDirectory(atPath: "/proc/\(pid)/task")) ?? []
    return tasks.flatMap { task -> [pid_t] in
        let text = (try? String(contentsOfFile: "/proc/\(pid)/task/\(task)/children", encoding: .utf8)) ?? ""
        return text.split(separator: " ").compactMap { pid_t($0.trimmingCharacters(in: .whitespacesAndNewlines)) }
    }
}

/// The `p`-th percentile (0…100) of `values`, nearest rank.
func percentile(_ values: [Double], _ p: Double) -> Double {
    guard !values.isEmpty else { return .nan }
    let sorted = values.sorted()
    let rank = Int((p / 100 * Double(sorted.count)).rounded(.up))
    return sorted[min(max(rank - 1, 0), sorted.count - 1)]
}

/// A value shared between threads of one test, behind a lock.
final class Locked<Value>: @unchecked Sendable {
    private var value: Value
    private let lock = NSLock()
    init(_ value: Value) { self.value = value }
    func withLock<R>(_ body: (inout Value) throws -> R) rethrows -> R {
        lock.lock()
        defer { lock.unlock() }
        return try body(&value)
    }
}

/// Run `body(0..<count)` on `count` real threads and wait for all (a dispatch pool on two
/// cores would run only two at a time).
func concurrently(_ count: Int, _ body: @escaping @Sendable (Int) -> Void) {
    let group = DispatchGroup()
    for index in 0..<count {
        group.enter()
        Thread.detachNewThread {
            body(index)
            group.leave()
        }
    }
    group.wait()
}

/// SIGKILL a process from inside its `nth` `pwrite64` call, with strace's fault injection
/// (`-e inject=pwrite64:signal=KILL:when=N`): the kernel stops it at a chosen write, e.g. in
/// the middle of writing a commit's frames to the SQLite WAL. Needs /usr/bin/strace and root.
final class SyscallKill: @unchecked Sendable {
    static var available: Bool { FileManager.default.isExecutableFile(atPath: "/usr/bin/strace") && getuid() == 0 }

    let strace: pid_t
    let log: String

    init(pid: pid_t, nth: Int) throws {
        log = FileManager.default.temporaryDirectory.appendingPathComponent("seclab-res-strace-\(UUID().uuidString).log").path
        strace = try Spawn.start("/usr/bin/strace", ["-f", "-qq", "-p", String(pid), "-e", "trace=pwrite64",
                                                     "-e", "inject=pwrite64:signal=KILL:when=\(nth)", "-o", log], environment: [:])
        // Armed once every thread of the target has a tracer.
        let deadline = Date().addingTimeInterval(10)
        while Date() < deadline {
            let tasks = (try? FileManager.default.contentsOfDirectory(atPath: "/proc/\(pid)/task")) ?? []
            let traced = tasks.allSatisfy { task in
                let status = (try? String(contentsOfFile: "/proc/\(pid)/task/\(task)/status", encoding: .utf8)) ?? ""
                return status.split(separator: "\n").contains { $0.hasPrefix("TracerPid:") && !$0.hasSuffix("\t0") }
            }
            if !tasks.isEmpty && traced { return }
            usleep(10_000)
        }
        throw TestSupportError("strace did not attach to \(pid)")
    }

    /// The trace (the writes up to the kill), once the target is gone; strace is stopped if it is not.
    func finish() -> String {
        _ = Spawn.wait(strace, timeout: 1)  // strace ends with its target; else it is stopped here
        defer { try? FileManager.default.removeItem(atPath: log) }
        return (try? String(contentsOfFile: log, encoding: .utf8)) ?? ""
    }
}
