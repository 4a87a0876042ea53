import SeclabClient

/// Everything seclab-run was asked to do, parsed from argv and the environment before any
/// network or cryptographic work. Equality is synthesized: every field counts, including
/// the ones added later (a hand-written `==` once left some out).
public struct RunOptions: Sendable, Equatable {
    /// The server URL (`--server`, `SECLAB_SERVER`).
    public var server: String?
    /// Read the credential from this file (`--credential-file`, `SECLAB_MACHINE_KEY_FILE`).
    public var credentialFile: String?
    /// Fetch only these names (`--only`, plus the names of `--only-file`).
    public var only: [String]?
    /// A committed file that lists the names to fetch, one per line (`--only-file`).
    public var onlyFile: String?
    /// Fail unless these names are present (`--require`).
    public var require: [String] = []
    /// Deliver these as in-memory files: name → variable that receives the path (`--file NAME[=VAR]`).
    public var files: [FileRequest] = []
    /// Write file secrets into a fresh directory under this tmpfs/ramfs directory instead (`--files-dir`).
    public var filesDirectory: String?
    /// Inherited variables win over secrets (`--keep-existing`).
    public var keepExisting = false
    /// Names allowed despite the environment policy (`--allow-name`).
    public var allowedNames: Set<String> = []
    /// Supervise and mask secret values in the command's output (`--mask`).
    public var mask = false
    /// Values (and lines of multi-line values) shorter than this are not masked.
    public var maskMinimumLength = 6
    /// Emit `::add-mask::` under GitHub Actions (on unless `--no-github-mask`).
    public var githubMask = true
    /// Print what would be injected and exit (`--dry-run`).
    public var dryRun = false
    /// A CA bundle (`--cacert`, `SECLAB_CA_FILE`).
    public var caFile: String?
    /// Allow plain http to non-loopback hosts (`--allow-insecure-http`).
    public var allowInsecureHTTP = false
    /// Total seconds for the pull, retries included (`--timeout`).
    public var timeout: Double = 30
    /// Seconds to connect (`--connect-timeout`).
    public var connectTimeout: Double = 5
    /// Print help / version and exit.
    public var help = false
    /// Print the version and exit.
    public var version = false
    /// The command and its arguments, untouched.
    public var command: [String] = []
    /// `--watch`, `--fallback` and their settings (WatchOptions.swift).
    public var watching = WatchOptions()

    // Several vaults, renames, references, templates, a JSON dry run.
    /// Credentials in command-line order (`--credential-env VAR`, `--credential-file PATH`).
    public var credentials: [CredentialSource] = []
    /// A name in two vaults: the later credential wins instead of an error (`--override`).
    public var override = false
    /// Deliver NAME as NEW (`--env NEW=NAME`).
    public var renames: [Rename] = []
    /// Prepended to every environment name not renamed with `--env` (`--prefix`).
    public var prefix: String?
    /// Resolve `${NAME}` references between values (`--expand`).
    public var expand = false
    /// Render template SRC into an in-memory file whose path goes into VAR (`--template SRC=VAR`).
    public var templates: [TemplateRequest] = []
    /// `--dry-run` prints JSON (`--json`).
    public var json = false

    /// Every variable that held a credential of this run: removed from the child's environment.
    public var credentialVariables: Set<String> {
        Set(credentials.compactMap { $0.kind == .environment ? $0.value : nil })
    }

    /// Make default options.
    public init() {}

    /// Parse `arguments` (without argv[0]) and `environment`. Everything after `--` (or the
    /// first non-option) is the command, passed on byte for byte.
    public static func parse(_ arguments: [String], environment: [String: String]) throws(RunFailure) -> RunOptions {
        var options = RunOptions()
        options.server = environment[EnvironmentNames.server].flatMap { $0.isEmpty ? nil : $0 }
        options.credentialFile = environment[EnvironmentNames.machineKeyFile].flatMap { $0.isEmpty ? nil : $0 }
        options.caFile = environment[EnvironmentNames.caFile].flatMap { $0.isEmpty ? nil : $0 }
        options.watching.readEnvironment(environment)
        var index = 0
        func value(_ flag: String, _ inline: String?) throws(RunFailure) -> String {
            if let inline { return inline }
            index += 1
            guard index < arguments.count else { throw .usage("\(flag) needs a value") }
            return arguments[index]
        }
        func list(_ text: String, _ flag: String) throws(RunFailure) -> [String] {
            let names = text.split(separator: ",", omittingEmptySubsequences: false).map(String.init)
            guard !names.contains(where: \.isEmpty) else { throw .usage("\(flag): empty name in '\(text)'") }
            return names
        }
        while index < arguments.count {
            let argument = arguments[index]
            if argument == "--" {
                options.command = Array(arguments[(index + 1)...])
                break
            }
            guard argument.hasPrefix("-"), argument != "-" else {
                options.command = Array(arguments[index...])
                break
            }
            var flag = argument
            var inline: String? = nil
            if argument.hasPrefix("--"), let equals = argument.firstIndex(of: "=") {
                flag = String(argument[..<equals])
                inline = String(argument[argument.index(after: equals)...])
            }
            switch flag {
            case "-h", "--help": options.help = true
            case "--version": options.version = true
            case "--server": options.server = try value(flag, inline)
            case "--credential-file":
                let path = try value(flag, inline)
                guard !path.isEmpty else { throw .usage("--credential-file needs a path") }
                options.credentialFile = path
                options.credentials.append(CredentialSource(.file, path, explicit: true))
            case "--credential-env":
                let variable = try value(flag, inline)
                guard EnvironmentPolicy.isPortable(variable) else { throw .usage("--credential-env takes a variable name, got '\(variable)'") }
                options.credentials.append(CredentialSource(.environment, variable, explicit: true))
            case "--override": options.override = true
            case "--env":
                let spec = try value(flag, inline)
                let parts = spec.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false).map(String.init)
                guard parts.count == 2, !parts[0].isEmpty, !parts[1].isEmpty else { throw .usage("--env takes NEW=NAME, got '\(spec)'") }
                guard !options.renames.contains(where: { $0.new == parts[0] }) else { throw .usage("--env \(parts[0])=… given twice") }
                options.renames.append(Rename(new: parts[0], name: parts[1]))
            case "--prefix":
                guard options.prefix == nil else { throw .usage("--prefix given twice") }
                let prefix = try value(flag, inline)
                guard !prefix.isEmpty else { throw .usage("--prefix needs a non-empty prefix") }
                options.prefix = prefix
            case "--expand": options.expand = true
            case "--template":
                let spec = try value(flag, inline)
                // The last `=`: a path may contain one, a variable name never does.
                guard let equals = spec.lastIndex(of: "="), equals != spec.startIndex, spec.index(after: equals) != spec.endIndex else {
                    throw .usage("--template takes SRC=VAR, got '\(spec)'")
                }
                options.templates.append(TemplateRequest(source: String(spec[..<equals]), variable: String(spec[spec.index(after: equals)...])))
            case "--json": options.json = true
            case "--only": options.only = (options.only ?? []) + (try list(try value(flag, inline), flag))
            case "--only-file":
                guard options.onlyFile == nil else { throw .usage("--only-file given twice") }
                options.onlyFile = try value(flag, inline)
            case "--require": options.require += try list(try value(flag, inline), flag)
            case "--file":
                let spec = try value(flag, inline)
                let parts = spec.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false).map(String.init)
                guard !parts[0].isEmpty, parts.count == 1 || !parts[1].isEmpty else {
                    throw .usage("--file takes NAME or NAME=VAR, got '\(spec)'")
                }
                options.files.append(FileRequest(name: parts[0], variable: parts.count == 2 ? parts[1] : parts[0]))
            case "--files-dir": options.filesDirectory = try value(flag, inline)
            case "--keep-existing": options.keepExisting = true
            case "--allow-name": options.allowedNames.formUnion(try list(try value(flag, inline), flag))
            case "--mask": options.mask = true
            case "--mask-min-length":
                let text = try value(flag, inline)
                guard let number = Int(text), number >= 1, number <= 4096 else { throw .usage("--mask-min-length takes a number from 1 to 4096") }
                options.maskMinimumLength = number
            case "--no-github-mask": options.githubMask = false
            case "--dry-run": options.dryRun = true
            case "--cacert": options.caFile = try value(flag, inline)
            case "--allow-insecure-http": options.allowInsecureHTTP = true
            case "--timeout", "--connect-timeout":
                let text = try value(flag, inline)
                guard let seconds = Double(text), seconds > 0, seconds <= 3600 else { throw .usage("\(flag) takes seconds between 0 and 3600") }
                if flag == "--timeout" { options.timeout = seconds } else { options.connectTimeout = seconds }
            case _ where WatchOptions.flags.contains(flag):
                if flag == "--watch", inline != nil { throw .usage("--watch takes no value") }
                try options.watching.parse(flag) { () throws(RunFailure) -> String in try value(flag, inline) }
            default:
                throw .usage("unknown option '\(flag)'")
            }
            index += 1
        }
        if options.help || options.version { return options }
        if options.json && !options.dryRun { throw .usage("--json only goes with --dry-run") }
        if options.command.isEmpty && !options.dryRun {
            throw .usage("no command given", hint: "usage: seclab-run [OPTIONS] -- COMMAND [ARG...]")
        }
        guard options.server != nil else {
            throw .usage("no server configured", hint: "set SECLAB_SERVER or pass --server https://…")
        }
        try options.watching.validate(options)
        return options
    }

    /// The names of an `--only-file`: one per line, surrounding spaces and tabs trimmed; empty
    /// lines and lines starting with `#` are skipped. A file without a name is an error, so an
    /// emptied file never turns into "nothing" silently.
    public static func names(inOnlyFile bytes: [UInt8], path: String) throws(RunFailure) -> [String] {
        guard let text = String(validating: bytes, as: UTF8.self) else {
            throw .usage("--only-file \(Display.name(path)) is not UTF-8 text")
        }
        var names = [String]()
        // Scalars, not Characters: "\r\n" is one Character and would never split at "\n".
        for (number, raw) in text.unicodeScalars.split(separator: "\n", omittingEmptySubsequences: false).enumerated() {
            var line = raw
            while let last = line.last, last == "\r" || last == " " || last == "\t" { line = line.dropLast() }
            while let first = line.first, first == " " || first == "\t" { line = line.dropFirst() }
            if line.isEmpty || line.first == "#" { continue }
            let name = String(line)
            guard !name.unicodeScalars.contains(where: Display.needsEscape) else {
                throw .usage("--only-file \(Display.name(path)), line \(number + 1): \(Display.name(name)) contains a control character")
            }
            names.append(name)
        }
        guard !names.isEmpty else {
            throw .usage("--only-file \(Display.name(path)) lists no names", hint: "write one secret name per line (# starts a comment)")
        }
        return names
    }
}

/// `--file NAME[=VAR]`: deliver secret NAME as an in-memory file whose path goes into VAR.
public struct FileRequest: Sendable, Equatable {
    /// The stored secret name.
    public var name: String
    /// The variable that receives the file's path.
    public var variable: String
}

/// `--env NEW=NAME`: deliver secret NAME as variable NEW (and not as NAME).
public struct Rename: Sendable, Equatable {
    /// The variable the child sees.
    public var new: String
    /// The stored secret name.
    public var name: String
}

/// `--template SRC=VAR`: render template file SRC into an in-memory file whose path goes into VAR.
public struct TemplateRequest: Sendable, Equatable {
    /// The template file's path.
    public var source: String
    /// The variable that receives the rendered file's path.
    public var variable: String
}
