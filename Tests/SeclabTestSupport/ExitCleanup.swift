public import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// Clean-up for fixtures kept in a `static` for the whole test process: their deinit never
/// runs, so without this a server they started would outlive the test run (the process is
/// reparented to init and keeps its port and temporary files).
public enum ExitCleanup {
    private static let lock = NSLock()
    nonisolated(unsafe) private static var pids: [pid_t] = []
    nonisolated(unsafe) private static var paths: [String] = []
    nonisolated(unsafe) private static var installed = false

    /// SIGKILL `pid` when the test process exits (SIGKILL: the test runner blocks SIGTERM and
    /// children inherit the mask).
    public static func kill(_ pid: pid_t) {
        register { pids.append(pid) }
    }

    /// Remove `url` (recursively) when the test process exits.
    public static func remove(_ url: URL) {
        register { paths.append(url.path) }
    }

    private static func register(_ add: () -> Void) {
        lock.lock(); defer { lock.unlock() }
        add()
        guard !installed else { return }
        installed = true
        atexit {
            ExitCleanup.lock.lock()
            for pid in ExitCleanup.pids { Glibc.kill(pid, SIGKILL) }
            for path in ExitCleanup.paths { try? FileManager.default.removeItem(atPath: path) }
            ExitCleanup.lock.unlock()
        }
    }
}

extension ServerProcess {
    /// Kill this server and remove its directory when the test process exits: for servers held
    /// by a `static` fixture.
    public func cleanUpAtExit() {
        ExitCleanup.kill(process.processIdentifier)
        ExitCleanup.remove(directory)
    }
}
