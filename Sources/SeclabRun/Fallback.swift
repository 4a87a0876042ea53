import SeclabClient
import SeclabMachine
import SeclabFormat
import SeclabHTTP
import SeclabKeys
#if canImport(Glibc)
import Glibc
#endif

/// The offline fallback file of `--fallback PATH` (spec §11 A2): one sealed
/// record per credential of the run, each the last verified pull exactly as served.
///
/// Why the pull as served and not the decrypted values: the file then holds only ciphertext the
/// server holds anyway, sealed once more under a key derived from MK, so it is worthless
/// without the credential, and a run from it re-verifies every item exactly as a live pull.
struct FallbackStore {
    /// The file.
    let path: String
    /// The oldest pull used, in seconds.
    let maxAge: Double
    /// This run's records, by slot id.
    private var records: [[UInt8]: FallbackSeal.Record] = [:]
    /// Slot ids in the order the run named their credentials (the file's record order).
    private var order: [[UInt8]] = []

    init(path: String, maxAge: Double) {
        self.path = path
        self.maxAge = maxAge
    }

    /// Unix milliseconds from the wall clock (the file's ages are wall-clock ages).
    static func nowMillis() -> Int64 {
        var now = timespec()
        clock_gettime(CLOCK_REALTIME, &now)
        return Int64(now.tv_sec) * 1000 + Int64(now.tv_nsec) / 1_000_000
    }

    /// After verified pulls: seal each for its credential and replace the file atomically,
    /// once for all of them (with the records of this run's other credentials, e.g. one loaded
    /// from the file at start). A failed write is one warning line: the run goes on (the file
    /// is an availability aid).
    mutating func save(_ pulls: [(body: [UInt8], credential: MachineCredential)]) {
        guard !pulls.isEmpty else { return }
        for pull in pulls {
            let slot = pull.credential.slotID.bytes
            if !order.contains(slot) { order.append(slot) }
            records[slot] = FallbackSeal.seal(body: pull.body, pulledAt: Self.nowMillis(), credential: pull.credential)
        }
        if let problem = Self.replace(path, with: FallbackSeal.file(order.compactMap { records[$0] })) {
            writeAll(2, Array("seclab-run: warning: could not write the fallback file \(Display.name(path)): \(problem)\n".utf8))
        }
    }

    /// Keep `record` (read from the file) among this run's records, unchanged: the next write
    /// carries it over with its own time instead of dropping it.
    private mutating func keep(_ record: FallbackSeal.Record) {
        if !order.contains(record.slotID) { order.append(record.slotID) }
        records[record.slotID] = record
    }

    /// The run's credentials, in command-line order: the file's records follow it, whichever
    /// of them is sealed or read first.
    mutating func arrange(_ credentials: [MachineCredential]) {
        order = []
        for slot in credentials.map(\.slotID.bytes) where !order.contains(slot) { order.append(slot) }
    }

    /// The server refused `credential` (401/403): drop its record from the file, so a later
    /// start during an outage cannot run on values whose credential the owner has revoked.
    /// Records of other credentials stay; a file left empty is removed.
    mutating func forget(_ credential: MachineCredential) {
        let slot = credential.slotID.bytes
        records[slot] = nil
        order.removeAll { $0 == slot }
        guard let bytes = SeclabRunMain.readFile(path, limit: FallbackSeal.maxSealedBytes),
              let onDisk = try? FallbackSeal.records(in: bytes), onDisk.contains(where: { $0.slotID == slot }) else { return }
        let kept = onDisk.filter { $0.slotID != slot }
        if kept.isEmpty {
            unlink(path)
        } else if let problem = Self.replace(path, with: FallbackSeal.file(kept)) {
            writeAll(2, Array("seclab-run: warning: could not update the fallback file \(Display.name(path)): \(problem)\n".utf8))
        }
    }

    /// A pull read from the file: the pull, when it was made (Unix ms) and its age in seconds.
    typealias Loaded = (served: ServedPull, pulledAt: Int64, age: Double)

    /// The pull of `credential` from the file, because the server could not be reached
    /// (`failure`, a 124). Every failure is fatal and names why: no file or too old → the
    /// original 124; another credential's file, a modified file or an item that does not
    /// verify → 122. The record is kept for the next write; the caller warns (`warning`).
    mutating func load(_ credential: MachineCredential, because failure: RunFailure) throws(RunFailure) -> Loaded {
        guard let bytes = SeclabRunMain.readFile(path, limit: FallbackSeal.maxSealedBytes) else {
            let reason = errno == ENOENT ? "there is no fallback file \(Display.name(path)) yet" : "the fallback file \(Display.name(path)) cannot be read: \(String(cString: strerror(errno)))"
            throw RunFailure(failure.code, "\(failure.message); \(reason)", hint: failure.hint)
        }
        let contents: FallbackSeal.Contents
        let found: FallbackSeal.Record
        do {
            let record = try FallbackSeal.records(in: bytes).first { $0.slotID == credential.slotID.bytes }
            guard let record else {
                throw KeysError.decryptionFailed("the fallback file holds no pull for this credential (slot \(credential.slotID.text)): it was written with another credential")
            }
            contents = try FallbackSeal.open(record, credential: credential)
            found = record
        } catch {
            throw RunFailure(RunExitCode.integrity, "fallback file \(Display.name(path)): \(error); nothing was run")
        }
        let age = max(0, Double(Self.nowMillis() - contents.pulledAt) / 1000)
        guard age <= maxAge else {
            throw RunFailure(failure.code, "\(failure.message); the fallback file \(Display.name(path)) is \(Self.duration(age)) old, older than --fallback-max-age \(Self.duration(maxAge))",
                             hint: failure.hint)
        }
        let served: ServedPull
        do { served = try MachinePull.open(served: contents.body, credential: credential) } catch {
            throw SeclabRunMain.failure(for: error)
        }
        keep(found)
        return (served, contents.pulledAt, age)
    }

    /// The stderr line of a run from the file: why (`failure`, naming the credential when
    /// there are several), which file, and how old the pull is.
    func warning(_ failure: RunFailure, age: Double) -> String {
        "seclab-run: warning: \(Display.line(failure.message)); running from the fallback file \(Display.name(path)), pulled \(Self.duration(age)) ago\n"
    }

    /// `1h02m`, `3m05s`, `12s`.
    static func duration(_ seconds: Double) -> String {
        let total = Int(seconds.rounded(.down))
        let (d, h, m, s) = (total / 86_400, total / 3600 % 24, total / 60 % 60, total % 60)
        if d > 0 { return "\(d)d\(h)h" }
        if h > 0 { return "\(h)h\(m < 10 ? "0" : "")\(m)m" }
        if m > 0 { return "\(m)m\(s < 10 ? "0" : "")\(s)s" }
        return "\(s)s"
    }

    /// Replace `path` atomically: a 0600 temporary file in the same directory, written and
    /// fsynced, renamed over `path`, then the directory fsynced. Returns what failed, or nil.
    ///
    /// Why this way: a crash or a full disk leaves the old file or the new one, never a
    /// truncated mix; and nothing goes anywhere but the directory the user named (no TMPDIR).
    static func replace(_ path: String, with bytes: [UInt8]) -> String? {
        let slash = path.lastIndex(of: "/")
        let directory = slash.map { $0 == path.startIndex ? "/" : String(path[..<$0]) } ?? "."
        let base = slash.map { String(path[path.index(after: $0)...]) } ?? path
        var template = Array((directory == "/" ? "/" : directory + "/").utf8) + Array(".\(base).tmp-XXXXXX".utf8) + [0]
        let fd = template.withUnsafeMutableBufferPointer { buffer in
            buffer.withMemoryRebound(to: CChar.self) { mkstemp($0.baseAddress!) }
        }
        guard fd >= 0 else { return String(cString: strerror(errno)) }
        _ = fcntl(fd, F_SETFD, FD_CLOEXEC)  // a COMMAND started meanwhile must not inherit it
        let temporary = String(decoding: template.dropLast(), as: UTF8.self)
        var failure: String? = nil
        var offset = 0
        while offset < bytes.count, failure == nil {
            let written = bytes[offset...].withUnsafeBytes { write(fd, $0.baseAddress, $0.count) }
            if written < 0 { if errno != EINTR { failure = String(cString: strerror(errno)) } } else { offset += written }
        }
        if failure == nil, fchmod(fd, 0o600) != 0 || fsync(fd) != 0 { failure = String(cString: strerror(errno)) }
        close(fd)
        if failure == nil, rename(temporary, path) != 0 { failure = String(cString: strerror(errno)) }
        if failure != nil { unlink(temporary); return failure }
        let directoryFD = open(directory, O_RDONLY | O_DIRECTORY | O_CLOEXEC)
        if directoryFD >= 0 { _ = fsync(directoryFD); close(directoryFD) }
        return nil
    }
}

extension SeclabRunMain {
    /// One credential's first pull under `--watch` or `--fallback`: its label, the pull as
    /// served (live or from the file) and when it was made (Unix ms, wall clock).
    typealias FirstPull = (source: String, credential: MachineCredential, served: ServedPull, pulledAt: Int64)

    /// The first pulls of a run under `--watch` or `--fallback`, one per credential, all at once
    /// (one thread each, as `Credentials.pullAll`): each a full pull kept as served, or, when
    /// the server cannot be reached for that credential (the 124 cases only), that
    /// credential's record in the fallback file. Never the file on 401/403 (that credential's
    /// record is removed instead), never on an integrity failure; any such failure of any
    /// credential stops the run before anything is read from the file. After all of them the
    /// file is written once, with every record.
    static func firstServedPulls(_ credentials: [(source: CredentialSource, credential: MachineCredential)], options: RunOptions,
                                 environment: [String: String], http: HTTPClientOptions,
                                 store: inout FallbackStore?) throws(RunFailure) -> [FirstPull] {
        let server = options.server ?? ""
        // A CI identity token is the job's own business: failing to get one is never "unreachable".
        let token = try Credentials.identityToken(server: server, environment: environment, http: http)
        let clients = try Credentials.clients(credentials.count, server: server, http: http)
        store?.arrange(credentials.map(\.credential))
        let results = Concurrently.results(count: credentials.count) { index throws(ClientError) in
            try MachinePull.pullServed(credentials[index].credential, client: clients[index], oidcToken: token)
        }
        // With several credentials every message names the one it is about.
        func named(_ failure: RunFailure, _ index: Int) -> RunFailure {
            guard credentials.count > 1 else { return failure }
            return RunFailure(failure.code, "\(credentials[index].source.label): \(failure.message)", hint: failure.hint)
        }
        // Why every refused record goes before anything else is decided (spec §11 A2): a
        // credential the server refuses must never run from the file later, whatever the
        // other credentials did. Then the first failure the file may not stand in for (in
        // command-line order) ends the run; 124 is exactly "unreachable, or 5xx after the
        // retries" (failure(for:)).
        var fatal: RunFailure? = nil
        for (index, result) in results.enumerated() {
            let mapped: RunFailure
            switch result {
            case .success?: continue
            case nil: mapped = RunFailure(RunExitCode.failure, "a pull did not finish")
            case let .failure(error)?:
                if case let .server(status, _, _, _) = error, status == 401 || status == 403 { store?.forget(credentials[index].credential) }
                mapped = Self.failure(for: error)
            }
            if fatal == nil, mapped.code != RunExitCode.unreachable || store == nil { fatal = named(mapped, index) }
        }
        if let fatal { throw fatal }
        var pulls = [FirstPull]()
        var live = [(body: [UInt8], credential: MachineCredential)]()
        var warnings = [String]()
        for (index, result) in results.enumerated() {
            let (source, credential) = (credentials[index].source.label, credentials[index].credential)
            switch result {
            case let .success(served)?:
                pulls.append((source, credential, served, FallbackStore.nowMillis()))
                live.append((served.body, credential))
            case let .failure(error)?:
                // Each credential from its own record; any refusal of the file ends the run.
                let because = named(Self.failure(for: error), index)
                let loaded: FallbackStore.Loaded
                do { loaded = try store!.load(credential, because: because) } catch {
                    // The 124s of the file already carry `because`, named; name the 122s too.
                    throw error.message.hasPrefix(because.message) ? error : named(error, index)
                }
                pulls.append((source, credential, loaded.served, loaded.pulledAt))
                warnings.append(store!.warning(because, age: loaded.age))
            case nil: throw RunFailure(RunExitCode.failure, "a pull did not finish")
            }
        }
        store?.save(live)
        for warning in warnings { writeAll(2, Array(warning.utf8)) }
        return pulls
    }
}
