import CSeclabExec
import SeclabClient
import SeclabMachine
import SeclabHTTP
import SeclabKeys
import SeclabPrimitives
#if canImport(Glibc)
import Glibc
#endif

/// The polling side of `--watch`: a thread that sleeps the jittered interval, asks the server
/// whether each credential's vault changed (conditional pulls, all at once: no items, no audit
/// row when unchanged), and on a change pulls the changed vaults, verifies everything as at
/// start, merges them with the others' current items as at start, and offers the result once.
///
/// Why a failed poll never touches COMMAND: an outage or a tampering proxy between two polls
/// must not take a running service down; the values it runs with were verified at start. One
/// line on stderr per failed poll (naming the credential when there are several), and the
/// next poll comes at the next interval; the other credentials' changes still go through.
final class Watcher: @unchecked Sendable {
    let hook: WatchHook
    /// Read and written only by the watcher thread (the concurrent polls only read it).
    private var vaults: [WatchedVault]
    let only: [ItemName]?
    let options: RunOptions
    let inherited: [[UInt8]]
    /// The `--template`s read at start.
    let templates: [LoadedTemplate]
    /// The CI identity token for each poll (a bound slot refuses a poll without one).
    let identityToken: () throws(RunFailure) -> String?
    var store: FallbackStore?

    init(hook: WatchHook, vaults: [WatchedVault], only: [ItemName]?, options: RunOptions, inherited: [[UInt8]],
         templates: [LoadedTemplate], store: FallbackStore?, identityToken: @escaping () throws(RunFailure) -> String?) {
        self.hook = hook; self.vaults = vaults; self.only = only
        self.templates = templates
        self.identityToken = identityToken
        self.options = options; self.inherited = inherited; self.store = store
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

    /// `--credential-env KEY: ` with several credentials, nothing with one (as at start).
    private func prefix(_ index: Int) -> String { vaults.count > 1 ? "\(vaults[index].source): " : "" }

    /// A start-time message made a watch-time reason: nothing is stopped, so no "nothing was run".
    private static func reason(_ failure: RunFailure) -> String {
        let tail = "; nothing was run"
        return failure.message.hasSuffix(tail) ? String(failure.message.dropLast(tail.count)) : failure.message
    }

    func pollOnce() {
        let token: String?
        do { token = try identityToken() } catch {
            warn("\(error.message); COMMAND keeps running; next poll in about \(Int(options.watching.interval)) s")
            return
        }
        let current = vaults
        let results = Concurrently.results(count: current.count) { index throws(ClientError) in
            try MachinePull.poll(current[index].credential, client: current[index].client,
                                 revision: current[index].revision ?? -1, oidcToken: token)
        }
        // Unchanged: the server confirmed the sealed pull is current; refresh the file's time
        // now and then, so a long-running service restarted in an outage can use it.
        let refreshEvery = Int64(min(options.watching.fallbackMaxAge / 4, 3600) * 1000)
        var saves = [(body: [UInt8], credential: MachineCredential)]()
        var changed = [Int: ServedPull]()
        for (index, result) in results.enumerated() {
            switch result {
            case let .failure(error)?:
                if case let .server(status, _, _, _) = error, status == 401 || status == 403 {
                    // Revoked while watching (docs/seclab-run.md "Watch"): COMMAND keeps the values
                    // it was verified with; nothing new is fetched for this credential, and its
                    // fallback record goes. The other credentials are still watched.
                    store?.forget(vaults[index].credential)
                    warn("\(prefix(index))the server refused the machine credential (revoked?); COMMAND keeps running with the values it started with, and no change of this vault reaches it until seclab-run is started with a valid credential")
                } else {
                    warn("\(prefix(index))\(SeclabRunMain.failure(for: error).message); COMMAND keeps running; next poll in about \(Int(options.watching.interval)) s")
                }
            case .success(nil)?:
                let vault = vaults[index]
                if store != nil, FallbackStore.nowMillis() - vault.sealedAt >= refreshEvery,
                   (try? MachinePull.open(served: vault.body, credential: vault.credential)) != nil {
                    saves.append((vault.body, vault.credential))
                    vaults[index].sealedAt = FallbackStore.nowMillis()
                }
            case let .success(served?)?:
                // A server without revisions answers in full every time: compare what it sent.
                if served.revision == nil, served.body == vaults[index].body { continue }
                changed[index] = served
            case nil:
                warn("\(prefix(index))a poll did not finish; COMMAND keeps running")
            }
        }
        defer { store?.save(saves) }  // one write of the file per poll, whatever changed
        guard !changed.isEmpty else { return }
        let indices = changed.keys.sorted()
        let which = vaults.count > 1 ? " (\(indices.map { vaults[$0].source }.joined(separator: ", ")))" : ""
        // The same merge and checks as at start (collisions, --only, name policy, --require,
        // --file names), before anything stops. Nothing is committed when they fail, so the
        // next poll pulls the change again and says so again.
        let items: [RunItem]
        do {
            items = try Credentials.combine(vaults.indices.map { (source: vaults[$0].source, vault: changed[$0]?.vault ?? vaults[$0].vault) },
                                            override: options.override, only: only)
            _ = try SeclabRunMain.plan(for: items, templates: templates, options: options, inherited: inherited)
        } catch {
            warn("the changed vault\(which) cannot be delivered (\(Self.reason(error))); COMMAND keeps running with its current values")
            return
        }
        for index in indices {
            let served = changed[index]!
            vaults[index].revision = served.revision
            vaults[index].body = served.body
            vaults[index].vault = served.vault
            vaults[index].sealedAt = FallbackStore.nowMillis()
            saves.append((served.body, vaults[index].credential))
        }
        hook.offer(items, sources: indices.map { vaults[$0].source })
    }
}

extension SeclabRunMain {
    /// `--watch`: supervise COMMAND; start it again with new values after each verified change,
    /// or, with `--watch-signal`, rewrite its files and signal it. Returns COMMAND's exit code
    /// once it exits on its own (or is stopped from outside).
    static func runWatching(first: [FirstPull], items: [RunItem], only: [ItemName]?, options: RunOptions, environment: [String: String],
                            inherited: [[UInt8]], templates: [LoadedTemplate], store: FallbackStore?,
                            http: HTTPClientOptions) throws(RunFailure) -> Int32 {
        let hook = try WatchHook(items: items, stopTimeout: options.watching.stopTimeout, signal: options.watching.signal)
        // A poll gives up within one interval (or --timeout, if shorter): the next one is due then.
        var pollHTTP = http
        pollHTTP.totalTimeout = min(http.totalTimeout, options.watching.interval)
        let server = options.server ?? ""
        let clients = try Credentials.clients(first.count, server: server, http: pollHTTP)
        let vaults = zip(first, clients).map { pull, client in
            WatchedVault(source: pull.source, credential: pull.credential, client: client, revision: pull.served.revision,
                         body: pull.served.body, vault: pull.served.vault, sealedAt: pull.pulledAt)
        }
        try Watcher(hook: hook, vaults: vaults, only: only, options: options, inherited: inherited, templates: templates, store: store,
                    identityToken: { () throws(RunFailure) -> String? in
                        try Credentials.identityToken(server: server, environment: environment, http: pollHTTP)
                    }).start()
        let several = first.count > 1
        var items = items
        while true {
            var plan = try plan(for: items, templates: templates, options: options, inherited: inherited).plan
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
                                        environment: plan.environment, mask: options.mask,
                                        maskValues: plan.injections.map { $0.value.unprotectedArray() },
                                        maskMinimumLength: options.maskMinimumLength)
            let outcome = try supervisor.supervise(watch: hook)
            guard outcome.restart else { return outcome.code }
            let next = hook.currentItems()
            items = next.items
            let what = several ? "the vault\(next.changed.count > 1 ? "s" : "") of \(next.changed.joined(separator: ", ")) changed" : "the vault changed"
            writeAll(2, Array("seclab-run: watch: \(Display.line(what)); starting COMMAND again with the new values\n".utf8))
        }
    }

    /// Signal mode: replace each delivered file in `directory` atomically (same path, new
    /// content: write a 0400 temporary beside it, rename over). False (and a warning) when the
    /// new values cannot be delivered; COMMAND is then not signalled.
    static func rewriteFiles(in directory: String, items: [RunItem], templates: [LoadedTemplate], options: RunOptions,
                             inherited: [[UInt8]]) -> Bool {
        let plan: ExecPlan
        do { plan = try Self.plan(for: items, templates: templates, options: options, inherited: inherited).plan } catch {
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
