import SeclabClient
import SeclabMachine
import SeclabHTTP
import SeclabKeys
public import SeclabPrimitives
#if canImport(Glibc)
import Glibc
#endif

/// Where a machine credential comes from. Its `label` names it in every message and in
/// `--dry-run`: the slot's name (given at `seclab machine create --name`) is encrypted under
/// the vault key and not part of the pull answer nor of the credential, so seclab-run names a
/// credential by where it was read from (`--credential-env PROD_KEY`).
public struct CredentialSource: Sendable, Equatable {
    /// An environment variable holding the credential text, or a file holding it.
    public enum Kind: Sendable, Equatable {
        /// The credential text is the value of an environment variable.
        case environment
        /// The credential text is the content of a file.
        case file
    }
    /// Variable or file.
    public let kind: Kind
    /// The variable's name or the file's path.
    public let value: String
    /// Given on the command line (`--credential-env` / `--credential-file`), not a default.
    public let explicit: Bool

    /// Make a source.
    public init(_ kind: Kind, _ value: String, explicit: Bool) {
        self.kind = kind
        self.value = value
        self.explicit = explicit
    }

    /// How messages name it: `--credential-env PROD_KEY`, `--credential-file PATH`,
    /// `SECLAB_MACHINE_KEY`, `SECLAB_MACHINE_KEY_FILE (PATH)`.
    public var label: String {
        switch (kind, explicit) {
        case (.environment, true): return "--credential-env \(value)"
        case (.file, true): return "--credential-file \(value)"
        case (.environment, false): return value
        case (.file, false): return "SECLAB_MACHINE_KEY_FILE (\(value))"
        }
    }
}

/// One secret of the run after merging the vaults: the name it is delivered under, the name
/// it is stored under, its value and the credential it came from.
public struct RunItem: Sendable {
    /// The environment name it is delivered as (after `--env` / `--prefix`).
    public var name: String
    /// The name in the vault (what `--only`, `--file`, `${…}` and `{{ … }}` refer to).
    public let storedName: String
    /// The decrypted value.
    public var value: SecretBytes
    /// The label of the credential it came from.
    public let source: String
    /// Labels of earlier credentials whose value of the same name this one replaced (`--override`).
    public var overrides: [String] = []
}

extension RunItem {
    /// An item delivered under its stored name, from the credential labelled `source`.
    init(_ item: OpenedItem, source: String) {
        let name = item.name.string  // one string, shared by both fields
        self.init(name: name, storedName: name, value: item.value, source: source)
    }
}

/// Several credentials in one run: read them, pull concurrently, merge.
enum Credentials {
    /// The credentials of this run, in command-line order. Without `--credential-env` /
    /// `--credential-file`, the default: `SECLAB_MACHINE_KEY_FILE`, else `SECLAB_MACHINE_KEY`
    /// (one credential, as before: an explicit credential replaces the default, so existing
    /// pipelines setting both keep their meaning; name the default with
    /// `--credential-env SECLAB_MACHINE_KEY` to add it).
    static func sources(options: RunOptions, environment: [String: String]) throws(RunFailure) -> [CredentialSource] {
        if !options.credentials.isEmpty { return options.credentials }
        if let file = options.credentialFile { return [CredentialSource(.file, file, explicit: false)] }
        if let value = environment[EnvironmentNames.machineKey], !value.isEmpty { return [CredentialSource(.environment, EnvironmentNames.machineKey, explicit: false)] }
        throw .usage("no machine credential", hint: "set SECLAB_MACHINE_KEY, SECLAB_MACHINE_KEY_FILE, --credential-env VAR or --credential-file PATH (mint one with `seclab machine create`)")
    }

    /// Read and parse one credential.
    static func load(_ source: CredentialSource, environment: [String: String]) throws(RunFailure) -> MachineCredential {
        var text: String
        switch source.kind {
        case .file:
            guard let contents = SeclabRunMain.readSmallFile(source.value) else {
                throw .usage("cannot read the credential file \(Display.name(source.value)): \(String(cString: strerror(errno)))")
            }
            text = contents
        case .environment:
            guard let value = environment[source.value], !value.isEmpty else {
                throw .usage("\(source.label): the variable is not set or empty", hint: "export it with the slmk2_… text printed by `seclab machine create`")
            }
            text = value
        }
        while let last = text.last, last.isWhitespace { text.removeLast() }
        while let first = text.first, first.isWhitespace { text.removeFirst() }
        do { return try MachineCredential(text: text) } catch {
            let prefix = source.explicit ? "\(source.label): " : ""
            throw .usage("\(prefix)bad machine credential: \(error)", hint: "copy the whole slmk2_… text printed by `seclab machine create`")
        }
    }

    /// Pull every credential's vault at once, one thread per extra credential, so the wall
    /// time is one pull's, not one per vault. Failures are reported for the first failing
    /// credential in command-line order, naming it when there are several.
    static func pullAll(_ credentials: [(source: CredentialSource, credential: MachineCredential)], server: String,
                        http: HTTPClientOptions, only: [ItemName]?, oidcToken: String? = nil) throws(RunFailure) -> [[OpenedItem]] {
        let clients = try self.clients(credentials.count, server: server, http: http)
        let results = Concurrently.results(count: credentials.count) { index throws(ClientError) in
            try MachinePull.pull(credentials[index].credential, client: clients[index], only: only, oidcToken: oidcToken)
        }
        var pulls = [[OpenedItem]]()
        for (index, result) in results.enumerated() {
            switch result {
            case let .success(vault)?: pulls.append(vault.items)
            case let .failure(error)?:
                let failure = SeclabRunMain.failure(for: error)
                guard credentials.count > 1 else { throw failure }
                throw RunFailure(failure.code, "\(credentials[index].source.label): \(failure.message)", hint: failure.hint)
            case nil: throw RunFailure(RunExitCode.failure, "a pull did not finish")
            }
        }
        return pulls
    }

    /// One client (its own connection) per credential, so their pulls and polls run at once.
    static func clients(_ count: Int, server: String, http: HTTPClientOptions) throws(RunFailure) -> [APIClient] {
        var clients = [APIClient]()
        for _ in 0..<count {
            do { clients.append(try APIClient(baseURL: server, options: http)) } catch { throw SeclabRunMain.failure(for: error) }
        }
        return clients
    }

    /// Merge the vaults in command-line order. A name in two vaults is an error naming both
    /// credentials, unless `override`: then the later one wins and remembers whom it replaced.
    ///
    /// Why an error by default: a shared vault and a service vault both defining `DB_URL` is
    /// almost always a mistake, and silently picking one is how the wrong database gets used.
    static func merge(_ pulls: [(source: String, items: [OpenedItem])], override: Bool, only: Set<String>?) throws(RunFailure) -> [RunItem] {
        // One vault cannot hold a name twice (one key ref per name, and a pull refuses a key
        // ref seen twice): nothing to look up.
        if pulls.count == 1, only == nil, let pull = pulls.first {
            return pull.items.map { RunItem($0, source: pull.source) }
        }
        var out = [RunItem]()
        var position = [String: Int]()
        for pull in pulls {
            out.reserveCapacity(out.count + pull.items.count)
            for item in pull.items {
                let name = item.name.string
                if let only, !only.contains(name) { continue }
                let entry = RunItem(name: name, storedName: name, value: item.value, source: pull.source)
                guard let at = position[name] else {
                    position[name] = out.count
                    out.append(entry)
                    continue
                }
                guard override else {
                    throw .usage("secret \(Display.name(name)) is in two vaults: \(out[at].source) and \(pull.source); nothing was run",
                                 hint: "pass --override to let the later credential on the command line win, or leave one out with --only")
                }
                var replacement = entry
                replacement.overrides = out[at].overrides + [out[at].source]
                out[at] = replacement
            }
        }
        return out
    }
}

/// Run `body(0..<count)` with each index on its own thread (index 0 on the caller's), joined
/// before returning. Why threads and not async: seclab-run is synchronous and lean (no
/// Foundation, no async runtime); each pull blocks in libcurl on its own handle.
enum Concurrently {
    /// `body(index)` for every index at once, each outcome kept in its slot (nil only if a
    /// thread never ran it). Every concurrent pull and poll of several credentials goes here.
    static func results<T>(count: Int, _ body: (Int) throws(ClientError) -> T) -> [Result<T, ClientError>?] {
        var results = [Result<T, ClientError>?](repeating: nil, count: count)
        results.withUnsafeMutableBufferPointer { results in
            run(count: count) { index in
                do throws(ClientError) { results[index] = .success(try body(index)) } catch { results[index] = .failure(error) }
            }
        }
        return results
    }

    static func run(count: Int, _ body: (Int) -> Void) {
        guard count > 1 else {
            if count == 1 { body(0) }
            return
        }
        withoutActuallyEscaping(body) { body in
            var threads = [pthread_t]()
            for index in 1..<count {
                let job = Job(run: { body(index) })
                var thread = pthread_t()
                let context = Unmanaged.passRetained(job).toOpaque()
                if pthread_create(&thread, nil, { raw in
                    Unmanaged<Job>.fromOpaque(raw!).takeRetainedValue().run()
                    return nil
                }, context) == 0 {
                    threads.append(thread)
                } else {
                    // No thread to be had: do it here.
                    Unmanaged<Job>.fromOpaque(context).release()
                    body(index)
                }
            }
            body(0)
            for thread in threads { pthread_join(thread, nil) }
        }
    }

    /// One index's work. Unchecked: run only by its thread, which `run` joins before returning.
    private final class Job: @unchecked Sendable {
        let run: () -> Void
        init(run: @escaping () -> Void) { self.run = run }
    }
}

extension Credentials {
    /// Every secret of the run: each credential read, every vault pulled at once, merged.
    /// With one credential, `only` is asked of the server as before (names never leave this
    /// machine: key refs); with several, each vault is pulled whole and `only` is applied
    /// here, since a name may live in either vault (a name in none is still an error, 123).
    static func gather(options: RunOptions, environment: [String: String], http: HTTPClientOptions, only: [ItemName]?) throws(RunFailure) -> [RunItem] {
        let credentials = try loadAll(options: options, environment: environment)
        let single = credentials.count == 1
        let server = options.server ?? ""
        let token = try identityToken(server: server, environment: environment, http: http)
        let pulls = try pullAll(credentials, server: server, http: http, only: single ? only : nil, oidcToken: token)
        return try merge(zip(credentials, pulls).map { (source: $0.source.label, items: $1) }, override: options.override,
                         selecting: single ? nil : only)
    }

    /// `merge`, then `only` applied here: each vault was pulled whole, since a name may live in
    /// either one; a name in none is an error (123), as a live `only` pull's missing name.
    static func merge(_ pulls: [(source: String, items: [OpenedItem])], override: Bool, selecting only: [ItemName]?) throws(RunFailure) -> [RunItem] {
        let items = try merge(pulls, override: override, only: only.map { Set($0.map(\.string)) })
        if let only {
            let present = Set(items.map(\.storedName))
            if let missing = only.first(where: { !present.contains($0.string) }) {
                throw RunFailure(RunExitCode.refused, "secret \(Display.name(missing.string)) is in none of the \(pulls.count) vaults; nothing was run")
            }
        }
        return items
    }

    /// The run's items from whole vaults pulled as served (`--watch`, `--fallback`, and every
    /// watch change): one vault is selected exactly as a live `only` pull would be (a missing
    /// name is its 123); several are merged exactly as `gather` merges them (the same collision
    /// error naming both credentials, `--override` last-wins, a name in none is 123).
    static func combine(_ pulls: [(source: String, vault: PulledVault)], override: Bool, only: [ItemName]?) throws(RunFailure) -> [RunItem] {
        if pulls.count == 1, let pull = pulls.first {
            let vault: PulledVault
            do { vault = try MachinePull.select(pull.vault, only: only) } catch { throw SeclabRunMain.failure(for: error) }
            return vault.items.map { RunItem($0, source: pull.source) }
        }
        return try merge(pulls.map { (source: $0.source, items: $0.vault.items) }, override: override, selecting: only)
    }

    /// The CI job's identity token, when the job has one: it goes with every pull (in the
    /// body, never a URL); a slot bound to a CI identity refuses a pull without it
    /// (docs/security.md, "CI identity binding"). Asked for again by every watch poll, since
    /// such tokens live minutes.
    static func identityToken(server: String, environment: [String: String], http: HTTPClientOptions) throws(RunFailure) -> String? {
        try CIIdentityToken.acquire(server: server, environment: environment, send: { request throws(HTTPError) in
            try HTTPClient(options: http).send(request)
        }, readFile: SeclabRunMain.readSmallFile)?.value
    }

    /// Every credential of this run, read and parsed (a v1 credential is warned about).
    static func loadAll(options: RunOptions, environment: [String: String]) throws(RunFailure) -> [(source: CredentialSource, credential: MachineCredential)] {
        let sources = try sources(options: options, environment: environment)
        var credentials = [(source: CredentialSource, credential: MachineCredential)]()
        for source in sources {
            let credential = try load(source, environment: environment)
            if credential.binding == nil {
                // Why only a warning: v1 credentials in use must keep working until their owners
                // re-issue them; the server's slot-id tombstones still stop a revoked slot from
                // being re-created, but only a v2 credential lets this machine check it (spec §11 A1).
                let which = sources.count > 1 ? " (\(source.label))" : ""
                writeAll(2, Array("seclab-run: warning: this slmk1_ credential\(which) does not name its vault, so a pull cannot be checked against it; re-issue it with `seclab machine create` (slmk2_)\n".utf8))
            }
            credentials.append((source, credential))
        }
        return credentials
    }
}
