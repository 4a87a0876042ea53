public import SeclabKeys
public import SeclabPrimitives

/// Where one secret goes.
public enum Destination: Sendable, Equatable {
    /// An environment variable of the same name.
    case environment
    /// A file; `variable` receives its path.
    case file(variable: String)
}

/// One secret to inject.
public struct Injection: Sendable {
    /// The secret's name.
    public let name: String
    /// Where it goes.
    public let destination: Destination
    /// The value.
    public let value: SecretBytes
}

/// What to run and with what: a pure value, computed and tested without exec'ing anything.
///
/// The environment is an ordered map, so every name appears once (an inherited variable can
/// never shadow a secret, the sops bug that style.md warns about).
public struct ExecPlan: Sendable {
    /// The command and its arguments, untouched.
    public let command: [String]
    /// The child's environment without the file-path variables, in order, one entry per name.
    public private(set) var environment: [(name: [UInt8], value: [UInt8])]
    /// Every injected secret with its destination.
    public let injections: [Injection]

    /// Build the plan from the inherited environment (raw `NAME=VALUE` entries) and the opened items.
    public static func build(command: [String], inherited: [[UInt8]], items: [OpenedItem], options: RunOptions) throws(RunFailure) -> ExecPlan {
        var environment = [(name: [UInt8], value: [UInt8])]()
        environment.reserveCapacity(inherited.count + items.count)
        // Position of each name in `environment`: one hash per name, not one per byte.
        var position = [EnvironmentName: Int]()
        position.reserveCapacity(inherited.count + items.count)
        for entry in inherited {
            guard let equals = entry.firstIndex(of: UInt8(ascii: "=")) else { continue }
            let name = Array(entry[..<equals])
            let key = EnvironmentName(name)
            if position[key] != nil { continue }  // first occurrence wins, as getenv(3) sees it
            if EnvironmentPolicy.removedFromChild.contains(String(decoding: name, as: UTF8.self)) { continue }
            position[key] = environment.count
            environment.append((name, Array(entry[(equals + 1)...])))
        }

        // Names are looked up only for --require and --file (most runs have neither).
        var byName = [String: OpenedItem]()
        if !options.require.isEmpty || !options.files.isEmpty {
            for item in items { byName[item.name.string] = item }
        }
        for name in options.require where byName[name] == nil {
            throw RunFailure(RunExitCode.refused, "required secret \(Display.name(name)) is not in the vault")
        }
        var fileVariables = [String: String]()
        for spec in options.files {
            guard byName[spec.name] != nil else {
                throw RunFailure(RunExitCode.refused, "secret \(Display.name(spec.name)) (asked for with --file) is not in the vault")
            }
            try EnvironmentPolicy.check(spec.variable, allowed: options.allowedNames, role: "file variable")
            fileVariables[spec.name] = spec.variable
        }

        var injections = [Injection]()
        injections.reserveCapacity(items.count)
        for item in items {
            let name = item.name.string
            if !fileVariables.isEmpty, let variable = fileVariables[name] {
                injections.append(Injection(name: name, destination: .file(variable: variable), value: item.value))
                continue
            }
            try EnvironmentPolicy.check(name, allowed: options.allowedNames, role: "secret name")
            let hasNUL = item.value.withUnsafeBytes { $0.contains(0) }
            if hasNUL {
                throw .usage("secret \(Display.name(name)) contains a NUL byte and cannot be an environment variable",
                             hint: "deliver it as a file with --file \(name)")
            }
            injections.append(Injection(name: name, destination: .environment, value: item.value))
            let key = EnvironmentName(item.name.utf8)
            if let at = position[key] {
                if options.keepExisting { continue }
                environment[at].value = item.value.unprotectedArray()
            } else {
                position[key] = environment.count
                environment.append((item.name.utf8, item.value.unprotectedArray()))
            }
        }
        return ExecPlan(command: command, environment: environment, injections: injections)
    }

    /// Set (or replace) one variable, keeping the one-entry-per-name rule.
    public mutating func set(_ name: String, _ value: String) {
        let key = Array(name.utf8)
        if let index = environment.firstIndex(where: { $0.name == key }) {
            environment[index].value = Array(value.utf8)
        } else {
            environment.append((key, Array(value.utf8)))
        }
    }

    /// The value of a variable in the planned environment.
    public func value(of name: String) -> [UInt8]? {
        environment.first { $0.name == Array(name.utf8) }?.value
    }

    /// `--dry-run` lines: name, destination and size, never values.
    public var dryRunReport: [String] {
        injections.map { injection in
            switch injection.destination {
            case .environment: return "\(Display.escaped(injection.name))\tenv\t\(injection.value.count) bytes"
            case let .file(variable): return "\(Display.escaped(injection.name))\tfile (path in $\(Display.escaped(variable)))\t\(injection.value.count) bytes"
            }
        }
    }
}

/// An environment name as a dictionary key, hashed in one call over its bytes (an array of
/// bytes hashes byte by byte: measurable at 10,000 secrets).
struct EnvironmentName: Hashable {
    let bytes: [UInt8]
    init(_ bytes: [UInt8]) { self.bytes = bytes }
    func hash(into hasher: inout Hasher) { bytes.withUnsafeBytes { hasher.combine(bytes: $0) } }
}
