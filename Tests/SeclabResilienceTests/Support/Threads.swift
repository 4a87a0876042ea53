import Foundation
import SeclabTestSupport
#if canImport(Glibc)
import Glibc
#endif

/// `posix_spawn` with an empty signal mask and default dispositions, so children do not
/// inherit the test runner's blocked SIGTERM; stdin, stdout and stderr are files (default
/// /dev/null). Cheap enough to start hundreds of `seclab-run`s per second.
///
/// Why not Foundation's `Process`: it learns about exits from SIGCHLD, and in this test
/// runner that was seen to be lost (a child left a zombie while `isRunning` stayed true and
/// `waitUntilExit` never returned). `waitpid` on the child's own PID cannot miss it.
enum Spawn {
    static func start(_ path: String, _ arguments: [String], environment: [String: String],
                      stdin: String = "/dev/null", stdout: String = "/dev/null", stderr: String = "/dev/null") throws -> pid_t {
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_addopen(&actions, 0, stdin, O_RDONLY, 0)
        posix_spawn_file_actions_addopen(&actions, 1, stdout, O_WRONLY | O_CREAT | O_APPEND, 0o600)
        posix_spawn_file_actions_addopen(&actions, 2, stderr, O_WRONLY | O_CREAT | O_APPEND, 0o600)
        var attributes = posix_spawnattr_t()
        posix_spawnattr_init(&attributes)
        defer { posix_spawnattr_destroy(&attributes) }
        var empty = sigset_t(), all = sigset_t()
        sigemptyset(&empty)
        sigfillset(&all)
        posix_spawnattr_setsigmask(&attributes, &empty)
        posix_spawnattr_setsigdefault(&attributes, &all)
        posix_spawnattr_setflags(&attributes, Int16(POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF))
        let argv = ([path] + arguments).map { strdup($0) } + [nil]
        let envp = environment.map { strdup("\($0.key)=\($0.value)") } + [nil]
        defer { for pointer in argv + envp { free(pointer) } }
        var pid: pid_t = 0
        let result = posix_spawn(&pid, path, &actions, &attributes, argv, envp)
        guard result == 0 else { throw POSIXError(POSIXErrorCode(rawValue: result) ?? .EINVAL) }
        return pid
    }

    /// Wait for `pid` up to `timeout` (then SIGKILL): its exit code, or 128+N for signal N.
    static func wait(_ pid: pid_t, timeout: TimeInterval = 60) -> Int32 {
        let status = waitRaw(pid, timeout: timeout)
        guard status >= 0 else { return -1 }
        let signal = status & 0x7F
        return signal == 0 ? (status >> 8) & 0xFF : 128 + signal
    }

    /// Wait for `pid` up to `timeout` (then SIGKILL): the raw wait status (-1 on timeout),
    /// whose 0x80 bit says whether the kernel wrote a core dump.
    static func waitRaw(_ pid: pid_t, timeout: TimeInterval = 60) -> Int32 {
        let deadline = Date().addingTimeInterval(timeout)
        var status: Int32 = 0
        while true {
            let result = waitpid(pid, &status, WNOHANG)
            if result == pid { return status }
            if result < 0 && errno != EINTR { return -1 }
            if Date() > deadline {
                kill(pid, SIGKILL)
                _ = waitpid(pid, &status, 0)
                return -1
            }
            if result == 0 { usleep(2_000) }
        }
    }

    /// Start, wait, and time one run.
    static func run(_ path: String, _ arguments: [String], environment: [String: String], stdout: String = "/dev/null",
                    stderr: String = "/dev/null", timeout: TimeInterval = 60) throws -> (status: Int32, seconds: Double) {
        let started = DispatchTime.now().uptimeNanoseconds
        let pid = try start(path, arguments, environment: environment, stdout: stdout, stderr: stderr)
        let status = wait(pid, timeout: timeout)
        return (status, Double(DispatchTime.now().uptimeNanoseconds - started) / 1e9)
    }
}

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

extension Spawn {
    /// Run to completion with `stdin` (bytes or nothing), capturing stdout and stderr through
    /// temporary files; SIGKILL after `timeout` (status -1). Reaped with `waitpid`, so it never
    /// depends on Foundation noticing a SIGCHLD.
    static func capture(_ path: String, _ arguments: [String], environment: [String: String], stdin: [UInt8]? = nil,
                        timeout: TimeInterval = 120) throws -> (status: Int32, stdout: [UInt8], stderr: String) {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("seclab-res-cap-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        let out = directory.appendingPathComponent("out").path, err = directory.appendingPathComponent("err").path
        var inPath = "/dev/null"
        if let stdin {
            inPath = directory.appendingPathComponent("in").path
            _ = FileManager.default.createFile(atPath: inPath, contents: Data(stdin))
        }
        let pid = try start(path, arguments, environment: environment, stdin: inPath, stdout: out, stderr: err)
        let status = wait(pid, timeout: timeout)
        return (status, (FileManager.default.contents(atPath: out).map(Array.init)) ?? [],
                (try? String(contentsOfFile: err, encoding: .utf8)) ?? "")
    }
}
