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
        var order = [[UInt8]]()
        var values = [[UInt8]: [UInt8]]()
        for entry in inherited {
            guard let equals = entry.firstIndex(of: UInt8(ascii: "=")) else { continue }
            let name = Array(entry[..<equals])
            if values[name] != nil { continue }  // first occurrence wins, as getenv(3) sees it
            if EnvironmentPolicy.removedFromChild.contains(String(decoding: name, as: UTF8.self)) { continue }
            order.append(name)
            values[name] = Array(entry[(equals + 1)...])
        }

        var byName = [String: OpenedItem]()
        for item in items { byName[item.name.string] = item }
        for name in options.require where byName[name] == nil {
            throw RunFailure(RunExitCode.refused, "required secret '\(name)' is not in the vault")
        }
        var fileVariables = [String: String]()
        for spec in options.files {
            guard byName[spec.name] != nil else {
                throw RunFailure(RunExitCode.refused, "secret '\(spec.name)' (asked for with --file) is not in the vault")
            }
            try EnvironmentPolicy.check(spec.variable, allowed: options.allowedNames, role: "file variable")
            fileVariables[spec.name] = spec.variable
        }

        var injections = [Injection]()
        for item in items {
            let name = item.name.string
            if let variable = fileVariables[name] {
                injections.append(Injection(name: name, destination: .file(variable: variable), value: item.value))
                continue
            }
            try EnvironmentPolicy.check(name, allowed: options.allowedNames, role: "secret name")
            let hasNUL = item.value.withUnsafeBytes { $0.contains(0) }
            if hasNUL {
                throw .usage("secret '\(name)' contains a NUL byte and cannot be an environment variable",
                             hint: "deliver it as a file with --file \(name)")
            }
            injections.append(Injection(name: name, destination: .environment, value: item.value))
            let key = Array(name.utf8)
            if values[key] != nil {
                if options.keepExisting { continue }
            } else {
                order.append(key)
            }
            values[key] = item.value.unprotectedArray()
        }
        return ExecPlan(command: command, environment: order.map { ($0, values[$0]!) }, injections: injections)
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
            case .environment: return "\(injection.name)\tenv\t\(injection.value.count) bytes"
            case let .file(variable): return "\(injection.name)\tfile (path in $\(variable))\t\(injection.value.count) bytes"
            }
        }
    }
}
