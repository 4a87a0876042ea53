public import Foundation
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
public enum Spawn {
    /// Start `path` with `arguments` and exactly `environment`; stdout and stderr are appended.
    public static func start(_ path: String, _ arguments: [String], environment: [String: String],
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
    public static func wait(_ pid: pid_t, timeout: TimeInterval = 60) -> Int32 {
        exitCode(waitRaw(pid, timeout: timeout))
    }

    /// The exit code of a raw wait status, or 128+N for signal N (-1 for none).
    public static func exitCode(_ status: Int32) -> Int32 {
        guard status >= 0 else { return -1 }
        let signal = status & 0x7F
        return signal == 0 ? (status >> 8) & 0xFF : 128 + signal
    }

    /// Wait for `pid` up to `timeout` (then SIGKILL): the raw wait status (-1 on timeout),
    /// whose 0x80 bit says whether the kernel wrote a core dump.
    public static func waitRaw(_ pid: pid_t, timeout: TimeInterval = 60) -> Int32 {
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
    public static func run(_ path: String, _ arguments: [String], environment: [String: String], stdout: String = "/dev/null",
                           stderr: String = "/dev/null", timeout: TimeInterval = 60) throws -> (status: Int32, seconds: Double) {
        let started = DispatchTime.now().uptimeNanoseconds
        let pid = try start(path, arguments, environment: environment, stdout: stdout, stderr: stderr)
        let status = wait(pid, timeout: timeout)
        return (status, Double(DispatchTime.now().uptimeNanoseconds - started) / 1e9)
    }

    /// Run to completion with `stdin` (bytes or nothing), capturing stdout and stderr through
    /// temporary files; SIGKILL after `timeout` (status -1). Reaped with `waitpid`, so it never
    /// depends on Foundation noticing a SIGCHLD.
    public static func capture(_ path: String, _ arguments: [String], environment: [String: String], stdin: [UInt8]? = nil,
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

/// One spawned child, reaped with `waitpid` (never lost, never a zombie left behind), with the
/// names of Foundation's `Process` that tests use: `isRunning`, `waitUntilExit()`,
/// `terminationStatus`, `processIdentifier`.
public final class ChildProcess: @unchecked Sendable {
    /// The child's PID.
    public let processIdentifier: pid_t
    private let lock = NSLock()
    private var status: Int32?

    /// Adopt `pid`, a child of this process (0: none yet, never running).
    public init(pid: pid_t) { processIdentifier = pid }

    /// True until the child exited (it is reaped here when it has).
    public var isRunning: Bool {
        lock.lock(); defer { lock.unlock() }
        if status != nil || processIdentifier <= 0 { return false }
        var raw: Int32 = 0
        if waitpid(processIdentifier, &raw, WNOHANG) == processIdentifier { status = raw }
        return status == nil
    }

    /// Block until the child exits.
    public func waitUntilExit() {
        lock.lock(); defer { lock.unlock() }
        guard status == nil, processIdentifier > 0 else { return }
        var raw: Int32 = 0
        while waitpid(processIdentifier, &raw, 0) < 0 && errno == EINTR {}
        status = raw
    }

    /// Exit code, or 128+N for signal N; -1 while running.
    public var terminationStatus: Int32 {
        lock.lock(); defer { lock.unlock() }
        return status.map(Spawn.exitCode) ?? -1
    }

    /// Send `signal` unless the child was reaped (its PID may belong to someone else by then).
    public func signal(_ signal: Int32) {
        if isRunning { kill(processIdentifier, signal) }
    }
}
