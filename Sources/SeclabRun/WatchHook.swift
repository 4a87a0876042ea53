import CSeclabExec
import SeclabClient
import SeclabMachine
import SeclabKeys
import SeclabPrimitives
#if canImport(Glibc)
import Glibc
#endif

/// What the watcher thread hands the supervisor: a wake pipe, and the latest
/// verified items (every vault merged). Unchecked Sendable: every mutable field is behind `lock`.
final class WatchHook: @unchecked Sendable {
    /// How a change reaches COMMAND.
    enum Change {
        /// Stop COMMAND (SIGTERM, then SIGKILL after the stop timeout) and start it again.
        case restart
        /// Files were rewritten in place; send this signal.
        case signal(Int32)
    }

    /// Readable when a change is waiting.
    let wakeFD: Int32
    private let wakeWrite: Int32
    /// Seconds between SIGTERM and SIGKILL.
    let stopTimeout: Double
    /// `--watch-signal`, or nil to restart.
    let signal: Int32?
    private let lock = UnsafeMutablePointer<pthread_mutex_t>.allocate(capacity: 1)
    private var latest: [RunItem]
    /// Labels of the credentials whose vaults changed since COMMAND last started, in order.
    private var changed: [String] = []
    private var pending = false
    /// Signal mode: rewrite the delivered files with these items before the signal is sent
    /// (on the supervising thread); false keeps COMMAND untouched. Set before supervising.
    var applyInPlace: (([RunItem]) -> Bool)?
    /// Values the supervisor masks after a signal-mode change (old and new).
    private(set) var maskValues: [[UInt8]] = []

    init(items: [RunItem], stopTimeout: Double, signal: Int32?) throws(RunFailure) {
        var fds: [Int32] = [-1, -1]
        guard seclab_pipe(&fds, 1) == 0 else { throw RunFailure(RunExitCode.failure, "could not create the watch pipe") }
        wakeFD = fds[0]
        wakeWrite = fds[1]
        latest = items
        self.stopTimeout = stopTimeout
        self.signal = signal
        pthread_mutex_init(lock, nil)
    }

    private func locked<R>(_ body: () -> R) -> R {
        pthread_mutex_lock(lock)
        defer { pthread_mutex_unlock(lock) }
        return body()
    }

    /// Watcher thread: a verified change of the vaults of `sources` (every vault merged into
    /// `items`). Several before the supervisor looks make one change.
    func offer(_ items: [RunItem], sources: [String]) {
        locked {
            latest = items
            pending = true
            for source in sources where !changed.contains(source) { changed.append(source) }
        }
        var byte: UInt8 = 1
        _ = write(wakeWrite, &byte, 1)
    }

    /// Supervisor: empty the wake pipe.
    func drainWake() {
        var buffer = [UInt8](repeating: 0, count: 64)
        while read(wakeFD, &buffer, buffer.count) > 0 {}
    }

    /// Supervisor: the change to apply now, if one is waiting.
    func takeChange() -> Change? {
        let items: [RunItem]? = locked {
            guard pending else { return nil }
            pending = false
            return latest
        }
        guard let items else { return nil }
        guard let signal else { return .restart }
        locked { changed = [] }
        guard applyInPlace?(items) ?? false else { return nil }
        maskValues += items.map { $0.value.unprotectedArray() }
        return .signal(signal)
    }

    /// The items COMMAND starts with next (the change is then applied), and the labels of the
    /// credentials whose vaults changed since it last started.
    func currentItems() -> (items: [RunItem], changed: [String]) {
        locked {
            pending = false
            defer { changed = [] }
            return (latest, changed)
        }
    }

    /// Monotonic milliseconds (deadlines must not move with the wall clock).
    static func nowMillis() -> Int64 {
        var now = timespec()
        clock_gettime(CLOCK_MONOTONIC, &now)
        return Int64(now.tv_sec) * 1000 + Int64(now.tv_nsec) / 1_000_000
    }
}

/// One credential under `--watch`: the vault COMMAND currently runs with from it, and how to
/// ask whether it changed.
struct WatchedVault {
    /// The credential's label (`--credential-env PROD_KEY`), naming it in every line.
    let source: String
    let credential: MachineCredential
    /// Its own connection: the polls of several credentials run at once.
    let client: APIClient
    /// The revision of `body` (nil from a server without revisions).
    var revision: Int64?
    /// The pull as served that `vault` was opened from (what the fallback file is refreshed with).
    var body: [UInt8]
    /// The whole verified vault (selection and merge happen on every change).
    var vault: PulledVault
    /// When its fallback record was last sealed (Unix ms, wall clock).
    var sealedAt: Int64
}
