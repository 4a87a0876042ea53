import CSeclabExec
import SeclabClient
import SeclabMachine
import SeclabHTTP
import SeclabKeys
import SeclabPrimitives
#if canImport(Glibc)
import Glibc
#endif

/// What the watcher thread hands the supervisor: a wake pipe, and the latest
/// verified items. Unchecked Sendable: every mutable field is behind `lock`.
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
    private var latest: [OpenedItem]
    private var pending = false
    /// Signal mode: rewrite the delivered files with these items before the signal is sent
    /// (on the supervising thread); false keeps COMMAND untouched. Set before supervising.
    var applyInPlace: (([OpenedItem]) -> Bool)?
    /// Values the supervisor masks after a signal-mode change (old and new).
    private(set) var maskValues: [[UInt8]] = []

    init(items: [OpenedItem], stopTimeout: Double, signal: Int32?) throws(RunFailure) {
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

    /// Watcher thread: a verified change. Several before the supervisor looks make one change.
    func offer(_ items: [OpenedItem]) {
        locked { latest = items; pending = true }
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
        let items: [OpenedItem]? = locked {
            guard pending else { return nil }
            pending = false
            return latest
        }
        guard let items else { return nil }
        guard let signal else { return .restart }
        guard applyInPlace?(items) ?? false else { return nil }
        maskValues += items.map { $0.value.unprotectedArray() }
        return .signal(signal)
    }

    /// The items COMMAND starts with next (and the change is then applied).
    func currentItems() -> [OpenedItem] { locked { pending = false; return latest } }

    /// Monotonic milliseconds (deadlines must not move with the wall clock).
    static func nowMillis() -> Int64 {
        var now = timespec()
        clock_gettime(CLOCK_MONOTONIC, &now)
        return Int64(now.tv_sec) * 1000 + Int64(now.tv_nsec) / 1_000_000
    }
}

/// The polling side of `--watch`: a thread that sleeps the jittered interval, asks the server
/// whether the vault changed (a conditional pull: no items, no audit row when it did not),
/// and on a change pulls, verifies everything as at start, and offers the new items.
///
/// Why a failed poll never touches COMMAND: an outage or a tampering proxy between two polls
/// must not take a running service down; the values it runs with were verified at start. One
/// line on stderr per failed poll, and the next poll comes at the next interval.
final class Watcher: @unchecked Sendable {
    let hook: WatchHook
    let credential: MachineCredential
    let client: APIClient
    let only: [ItemName]?
    let options: RunOptions
    let inherited: [[UInt8]]
    /// The `--template`s read at start.
    let templates: [LoadedTemplate]
    /// The CI identity token for each poll (a bound slot refuses a poll without one).
    let identityToken: () throws(RunFailure) -> String?
    var store: FallbackStore?
    private var revision: Int64?
    private var lastBody: [UInt8]
    private var sealedAt: Int64

    init(hook: WatchHook, first: ServedPull, credential: MachineCredential, client: APIClient, only: [ItemName]?,
         options: RunOptions, inherited: [[UInt8]], templates: [LoadedTemplate], store: FallbackStore?,
         identityToken: @escaping () throws(RunFailure) -> String?) {
        self.hook = hook; self.credential = credential; self.client = client; self.only = only
        self.templates = templates
        self.identityToken = identityToken
        self.options = options; self.inherited = inherited; self.store = store
        revision = first.revision
        lastBody = first.body
        sealedAt = FallbackStore.nowMillis()
    }

    /// Start the thread (it runs until the process exits).
    func start() throws(RunFailure) {
        var thread = pthread_t()
        let context = Unmanaged.passRetained(self).toOpaque()
        guard pthread_create(&thread, nil, { raw in
            Unmanaged<Watcher>.fromOpaque(raw!).takeUnretainedValue().loop()
        }, context) == 0 else {
            Unmanaged<Watcher>.fromOpaque(context).release()
            throw RunFailure(RunExitCode.failure, "could not start the watch thread")
        }
        pthread_detach(thread)
    }

    private func loop() -> Never {
        while true {
            Self.sleep(seconds: Self.jittered(options.watching.interval))
            pollOnce()
        }
    }

    /// `interval` × a uniform factor in [0.9, 1.1], so many machines started together spread out.
    static func jittered(_ interval: Double) -> Double {
        let random = randomBytes(count: 4).reduce(UInt32(0)) { $0 << 8 | UInt32($1) }
        return interval * (0.9 + 0.2 * Double(random) / Double(UInt32.max))
    }

    static func sleep(seconds: Double) {
        var request = timespec(tv_sec: Int(seconds), tv_nsec: Int((seconds - seconds.rounded(.down)) * 1e9))
        var remaining = timespec()
        while nanosleep(&request, &remaining) != 0, errno == EINTR { request = remaining }
    }

    private func warn(_ text: String) {
        writeAll(2, Array("seclab-run: warning: watch: \(Display.line(text))\n".utf8))
    }

    func pollOnce() {
        let served: ServedPull?
        let token: String?
        do { token = try identityToken() } catch {
            warn("\(error.message); COMMAND keeps running; next poll in about \(Int(options.watching.interval)) s")
            return
        }
        do {
            served = try MachinePull.poll(credential, client: client, revision: revision ?? -1, oidcToken: token)
        } catch {
            let failure = SeclabRunMain.failure(for: error)
            if case let .server(status, _, _, _) = error, status == 401 || status == 403 {
                // Revoked while watching (docs/seclab-run.md "Watch"): COMMAND keeps the values
                // it was verified with; nothing new is fetched, and the fallback record goes.
                store?.forget(credential)
                warn("the server refused the machine credential (revoked?); COMMAND keeps running with the values it started with, and no change reaches it until seclab-run is started with a valid credential")
            } else {
                warn("\(failure.message); COMMAND keeps running; next poll in about \(Int(options.watching.interval)) s")
            }
            return
        }
        guard let served else {
            // Unchanged: the server confirmed the sealed pull is current; refresh the file's
            // time now and then, so a long-running service restarted in an outage can use it.
            let refreshEvery = Int64(min(options.watching.fallbackMaxAge / 4, 3600) * 1000)
            if store != nil, FallbackStore.nowMillis() - sealedAt >= refreshEvery, let current = try? MachinePull.open(served: lastBody, credential: credential) {
                store?.save(current, credential: credential)
                sealedAt = FallbackStore.nowMillis()
            }
            return
        }
        // A server without revisions answers in full every time: compare what it sent.
        if served.revision == nil, served.body == lastBody { return }
        let vault: PulledVault
        do { vault = try MachinePull.select(served.vault, only: only) } catch {
            warn("\(SeclabRunMain.failure(for: error).message); COMMAND keeps running with its current values")
            return
        }
        // The same checks as at start (name policy, --require, --file names), before anything stops.
        do { _ = try SeclabRunMain.plan(for: vault.items, templates: templates, options: options, inherited: inherited) } catch {
            warn("the changed vault cannot be delivered (\(error.message)); COMMAND keeps running with its current values")
            return
        }
        store?.save(served, credential: credential)
        sealedAt = FallbackStore.nowMillis()
        revision = served.revision
        lastBody = served.body
        hook.offer(vault.items)
    }
}

extension SeclabRunMain {
    /// `--watch`: supervise COMMAND; start it again with new values after each verified change,
    /// or, with `--watch-signal`, rewrite its files and signal it. Returns COMMAND's exit code
    /// once it exits on its own (or is stopped from outside).
    static func runWatching(first: ServedPull, items: [OpenedItem], credential: MachineCredential, only: [ItemName]?,
                            options: RunOptions, environment: [String: String], inherited: [[UInt8]], templates: [LoadedTemplate],
                            store: FallbackStore?, http: HTTPClientOptions) throws(RunFailure) -> Int32 {
        let hook = try WatchHook(items: items, stopTimeout: options.watching.stopTimeout, signal: options.watching.signal)
        // A poll gives up within one interval (or --timeout, if shorter): the next one is due then.
        var pollHTTP = http
        pollHTTP.totalTimeout = min(http.totalTimeout, options.watching.interval)
        let client: APIClient
        do { client = try APIClient(baseURL: options.server ?? "", options: pollHTTP) } catch { throw failure(for: error) }
        let server = options.server ?? ""
        try Watcher(hook: hook, first: first, credential: credential, client: client, only: only, options: options,
                    inherited: inherited, templates: templates, store: store, identityToken: { () throws(RunFailure) -> String? in
                        try Credentials.identityToken(server: server, environment: environment, http: pollHTTP)
                    }).start()
        var items = items
        while true {
            var plan = try plan(for: items, templates: templates, options: options, inherited: inherited)
            var filesDirectory: String? = nil
            var memfds: [Int32] = []
            if let parent = options.filesDirectory {
                filesDirectory = try FileSecrets.directory(under: parent, for: &plan)
            } else {
                try FileSecrets.memfds(for: &plan)
                for injection in plan.injections {
                    guard case let .file(variable) = injection.destination, let path = plan.value(of: variable) else { continue }
                    if let fd = Int32(String(decoding: path.dropFirst("/dev/fd/".utf8.count), as: UTF8.self)) { memfds.append(fd) }
                }
            }
            defer {
                // This generation's files: gone once its COMMAND is (the next start makes its own).
                for fd in memfds { close(fd) }
                if let filesDirectory { FileSecrets.removeDirectory(filesDirectory) }
            }
            if let directory = filesDirectory, hook.signal != nil {
                hook.applyInPlace = { items in
                    rewriteFiles(in: directory, items: items, templates: templates, options: options, inherited: inherited)
                }
            }
            let path = try resolve(options.command[0], path: plan.value(of: "PATH").map { String(decoding: $0, as: UTF8.self) })
            let supervisor = Supervisor(path: path, argv: options.command.map { Array($0.utf8) },
                                        envp: plan.environment.map { $0.name + [UInt8(ascii: "=")] + $0.value }, mask: options.mask,
                                        maskValues: plan.injections.map { $0.value.unprotectedArray() },
                                        maskMinimumLength: options.maskMinimumLength)
            let outcome = try supervisor.supervise(watch: hook)
            guard outcome.restart else { return outcome.code }
            items = hook.currentItems()
            writeAll(2, Array("seclab-run: watch: the vault changed; starting COMMAND again with the new values\n".utf8))
        }
    }

    /// Signal mode: replace each delivered file in `directory` atomically (same path, new
    /// content: write a 0400 temporary beside it, rename over). False (and a warning) when the
    /// new values cannot be delivered; COMMAND is then not signalled.
    static func rewriteFiles(in directory: String, items: [OpenedItem], templates: [LoadedTemplate], options: RunOptions,
                             inherited: [[UInt8]]) -> Bool {
        let plan: ExecPlan
        do { plan = try Self.plan(for: items, templates: templates, options: options, inherited: inherited) } catch {
            writeAll(2, Array("seclab-run: warning: watch: \(Display.line(error.message)); COMMAND keeps its current files\n".utf8))
            return false
        }
        for injection in plan.injections {
            guard case .file = injection.destination else { continue }
            // The same file name FileSecrets.directory gave it at start.
            var safeName = String(injection.name.map { $0 == "/" ? "_" : $0 })
            if safeName == "." || safeName == ".." { safeName = "_" + safeName }
            let path = directory + "/" + safeName
            let temporary = directory + "/.\(safeName).new"
            unlink(temporary)
            let fd = open(temporary, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0o400)
            guard fd >= 0 else {
                writeAll(2, Array("seclab-run: warning: watch: cannot write \(Display.name(temporary)): \(String(cString: strerror(errno)))\n".utf8))
                return false
            }
            injection.value.withUnsafeBytes { raw in writeAll(fd, Array(raw)) }
            close(fd)
            guard rename(temporary, path) == 0 else { unlink(temporary); return false }
        }
        return true
    }
}
