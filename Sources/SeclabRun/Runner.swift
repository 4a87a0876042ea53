import CSeclabExec
import SeclabClient
import SeclabMachine
import SeclabFormat
import SeclabHTTP
import SeclabKeys
import SeclabPrimitives
import SeclabVersion
#if canImport(Glibc)
import Glibc
#endif

/// seclab-run's whole flow: options → credential → one pull → plan → exec (or supervise).
public enum SeclabRunMain {
    /// The version printed by `--version` (the repository's VERSION file in a release build).
    public static let version = BuildInfo.version

    /// Run with `arguments` (the command line after the program name) and the process's
    /// environment: returns the exit code (or execs the command, and never returns).
    public static func main(arguments: [String]) -> Int32 {
        let inherited = inheritedEnvironment()
        var environment = [String: String]()
        for entry in inherited {
            guard let equals = entry.firstIndex(of: UInt8(ascii: "=")) else { continue }
            let name = String(decoding: entry[..<equals], as: UTF8.self)
            if environment[name] == nil { environment[name] = String(decoding: entry[(equals + 1)...], as: UTF8.self) }
        }
        do {
            return try run(arguments: arguments, environment: environment, inherited: inherited)
        } catch {
            report(error)
            return error.code
        }
    }

    static func report(_ failure: RunFailure) {
        // Why escaped: messages can carry names and server text; one line stays one line.
        var text = "seclab-run: error: \(Display.line(failure.message))\n"
        if let hint = failure.hint { text += "seclab-run: hint: \(Display.line(hint))\n" }
        writeAll(2, Array(text.utf8))
    }

    static func run(arguments: [String], environment: [String: String], inherited: [[UInt8]]) throws(RunFailure) -> Int32 {
        var options = try RunOptions.parse(arguments, environment: environment)
        if options.help { writeAll(1, Array(helpText.utf8)); return 0 }
        if options.version { writeAll(1, Array("seclab-run \(BuildInfo.line)\n".utf8)); return 0 }

        // Why first: no core dump, ptrace attach or /proc/PID/mem read of this process once
        // it holds decrypted values.
        _ = seclab_set_nondumpable()
        seclab_default_crash_signals()
        // The work after the answer, done once on another thread while the request is out.
        WarmUp.start(options: options)

        // Templates are read and parsed before any network work (a typo costs no pull).
        let templates = try TemplateFiles.load(options.templates)
        if let path = options.onlyFile {
            guard let bytes = readFile(path, limit: 1 << 20) else {
                throw .usage("cannot read the --only-file \(Display.name(path)): \(errno == EFBIG ? "larger than 1 MiB" : String(cString: strerror(errno)))")
            }
            options.only = (options.only ?? []) + (try RunOptions.names(inOnlyFile: bytes, path: path))
        }
        var only: [ItemName]? = nil
        if let names = options.only {
            only = []
            for name in names {
                do { only?.append(try ItemName(name)) } catch { throw .usage("--only '\(name)': \(error)") }
            }
        }
        var http = HTTPClientOptions()
        http.caFile = options.caFile
        http.allowInsecureHTTP = options.allowInsecureHTTP
        http.totalTimeout = options.timeout
        http.connectTimeout = options.connectTimeout
        http.userAgent = "seclab-run/\(version)"
        // Why no attempt limit: as an ENTRYPOINT or a compose service, seclab-run often starts
        // beside a server that is not listening yet; it keeps retrying (backoff up to 2 s,
        // jittered) until --timeout, as the issue asks. The owner CLI, used by a person, gives
        // up after a few attempts.
        http.maxAttempts = .max

        // Every credential's vault at once, merged (Credentials.swift). Under --watch or
        // --fallback, every pull kept as served and sealed into the fallback file, or, for a
        // credential whose server is unreachable, its record in that file (Watch.swift,
        // Fallback.swift); merged exactly the same way.
        var items: [RunItem]
        var first: [FirstPull] = []
        var store = options.watching.fallback.map { FallbackStore(path: $0, maxAge: options.watching.fallbackMaxAge) }
        if options.watching.watch || store != nil {
            let credentials = try Credentials.loadAll(options: options, environment: environment)
            first = try firstServedPulls(credentials, options: options, environment: environment, http: http, store: &store)
            items = try Credentials.combine(first.map { (source: $0.source, vault: $0.served.vault) }, override: options.override, only: only)
        } else {
            items = try Credentials.gather(options: options, environment: environment, http: http, only: only)
        }
        let prepared = try plan(for: items, templates: templates, options: options, inherited: inherited)
        let overrides = prepared.overrides

        var plan = prepared.plan
        if options.dryRun {
            let report = options.json ? DryRunReport.json(plan, command: options.command, overrides: overrides)
                                      : DryRunReport.text(plan, command: options.command, overrides: overrides)
            writeAll(1, Array(report.utf8))
            return 0
        }
        // Rendered templates are not masked as a whole: the secrets in them are.
        let secrets = plan.injections.filter { $0.template == nil }

        if environment["GITHUB_ACTIONS"] == "true" && options.githubMask {
            GitHubMasks.emit(secrets, minimumLength: options.maskMinimumLength)
        }

        if options.watching.watch {
            return try runWatching(first: first, items: items, only: only, options: options, environment: environment,
                                   inherited: inherited, templates: templates, store: store, http: http)
        }

        let supervise = options.mask || options.filesDirectory != nil
        var filesDirectory: String? = nil
        if let parent = options.filesDirectory {
            filesDirectory = try FileSecrets.directory(under: parent, for: &plan)
        } else {
            try FileSecrets.memfds(for: &plan)
        }
        defer { if let filesDirectory { FileSecrets.removeDirectory(filesDirectory) } }

        let path = try resolve(options.command[0], path: plan.value(of: "PATH").map { String(decoding: $0, as: UTF8.self) })
        let argv = options.command.map { Array($0.utf8) }
        if supervise {
            let supervisor = Supervisor(path: path, argv: argv, environment: plan.environment, mask: options.mask,
                                        maskValues: secrets.map { $0.value.unprotectedArray() },
                                        maskMinimumLength: options.maskMinimumLength)
            return try supervisor.run()
        }
        // Exec mode: the command replaces seclab-run (same PID, its own signals and exit status).
        let code = withCStrings(argv) { cArgv in
            withCEnvironment(plan.environment) { cEnvp in execve(path, cArgv, cEnvp) }
        }
        let error = errno
        _ = code
        throw RunFailure(error == ENOENT ? RunExitCode.notFound : RunExitCode.notExecutable,
                         "cannot execute '\(options.command[0])': \(String(cString: strerror(error)))")
    }

    /// Map client errors to the reserved exit codes.
    static func failure(for error: ClientError) -> RunFailure {
        switch error {
        case let .transport(http):
            if case .insecureURL = http { return .usage(http.description) }
            if case .invalidURL = http { return .usage(http.description) }
            return RunFailure(RunExitCode.unreachable, http.description)
        case let .server(status, code, message, _):
            // A slot bound to a CI identity: say what the job must add, or why its token was refused.
            if status == 403, code == "oidc_token_missing" {
                return RunFailure(RunExitCode.refused, "this machine credential is bound to a CI identity and no OIDC token was available",
                                  hint: "GitHub Actions: add `permissions: id-token: write` to the job; GitLab CI: add `id_tokens:` and pass it as SECLAB_OIDC_TOKEN (or SECLAB_OIDC_TOKEN_FILE)")
            }
            if status == 403, code.hasPrefix("oidc_") {
                return RunFailure(RunExitCode.refused, "the server refused this job's CI identity token (\(code)): \(message)",
                                  hint: "check the claims bound with `seclab machine list VAULT` against the job (repository, ref, environment)")
            }
            // 403 as well: a machine may call only the pull, so a refusal there is its credential's.
            if error.isAuthenticationFailure || status == 403 {
                return RunFailure(RunExitCode.refused, "the server refused the machine credential (revoked, wrong, or for another server)",
                                  hint: "mint a new one with `seclab machine create VAULT --name LABEL`")
            }
            if status == 429 {
                return RunFailure(RunExitCode.refused, "throttled after failed attempts: \(message)", hint: "wait and retry")
            }
            if status == 404 && code == "not_found" && message.hasPrefix("secret '") { return RunFailure(RunExitCode.refused, message) }
            if status >= 500 { return RunFailure(RunExitCode.unreachable, "the server failed (\(status)): \(message)") }
            return RunFailure(RunExitCode.refused, error.description)
        case .unexpectedResponse, .integrity:
            return RunFailure(RunExitCode.integrity, "\(error.description); nothing was run")
        }
    }

    /// Look `command` up like env(1): a name with a slash is used as given, else each PATH entry.
    static func resolve(_ command: String, path: String?) throws(RunFailure) -> String {
        if command.contains("/") { return command }
        var sawNonExecutable = false
        for directory in (path ?? "/usr/local/bin:/usr/bin:/bin").split(separator: ":", omittingEmptySubsequences: false) {
            let candidate = (directory.isEmpty ? "." : String(directory)) + "/" + command
            if access(candidate, X_OK) == 0 {
                var info = stat()
                if stat(candidate, &info) == 0 && (info.st_mode & S_IFMT) == S_IFREG { return candidate }
            }
            if access(candidate, F_OK) == 0 { sawNonExecutable = true }
        }
        if sawNonExecutable { throw RunFailure(RunExitCode.notExecutable, "'\(command)' is not executable") }
        throw RunFailure(RunExitCode.notFound, "command not found: '\(command)'")
    }

    /// A whole file, or nil with errno set (EFBIG when it is larger than `limit`).
    static func readFile(_ path: String, limit: Int) -> [UInt8]? {
        let fd = open(path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { return nil }
        defer { close(fd) }
        var bytes = [UInt8]()
        var buffer = [UInt8](repeating: 0, count: 65536)
        while true {
            let count = read(fd, &buffer, buffer.count)
            if count < 0 { if errno == EINTR { continue }; return nil }
            if count == 0 { return bytes }
            bytes += buffer[0..<count]
            if bytes.count > limit { errno = EFBIG; return nil }
        }
    }

    static func readSmallFile(_ path: String) -> String? {
        let fd = open(path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { return nil }
        defer { close(fd) }
        var bytes = [UInt8]()
        var buffer = [UInt8](repeating: 0, count: 4096)
        while bytes.count < 65536 {
            let count = read(fd, &buffer, buffer.count)
            if count < 0 { if errno == EINTR { continue }; return nil }
            if count == 0 { break }
            bytes += buffer[0..<count]
        }
        return String(decoding: bytes, as: UTF8.self)
    }

    /// The process environment as raw `NAME=VALUE` byte strings, in order.
    static func inheritedEnvironment() -> [[UInt8]] {
        var out = [[UInt8]]()
        var pointer = environ
        while let entry = pointer.pointee {
            out.append(Array(UnsafeBufferPointer(start: UnsafeRawPointer(entry).assumingMemoryBound(to: UInt8.self), count: strlen(entry))))
            pointer += 1
        }
        return out
    }
}
