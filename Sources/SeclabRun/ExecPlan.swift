public import SeclabKeys
public import SeclabPrimitives
#if canImport(Glibc)
import Glibc
#endif

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
    /// The name in the vault (differs from `name` after `--env` / `--prefix`).
    public var storedName = ""
    /// The label of the credential it came from.
    public var source = ""
    /// The template file this was rendered from (`--template`), else nil.
    public var template: String? = nil
}

/// What to run and with what: a pure value, computed and tested without exec'ing anything.
///
/// The environment is an ordered map, so every name appears once (an inherited variable can
/// never shadow a secret, the sops bug).
public struct ExecPlan: Sendable {
    /// The command and its arguments, untouched.
    public let command: [String]
    /// The child's environment without the file-path variables, in order, one entry per name.
    public private(set) var environment: [(name: [UInt8], value: [UInt8])]
    /// Every injected secret with its destination.
    public internal(set) var injections: [Injection]

    /// Build the plan from the items of one vault, delivered under their stored names.
    @_disfavoredOverload
    public static func build(command: [String], inherited: [[UInt8]], items: [OpenedItem], options: RunOptions) throws(RunFailure) -> ExecPlan {
        try build(command: command, inherited: inherited,
                  items: items.map { RunItem($0, source: "") }, options: options)
    }

    /// Build the plan from the inherited environment (raw `NAME=VALUE` entries) and the run's
    /// merged items (several vaults, renamed or prefixed).
    public static func build(command: [String], inherited: [[UInt8]], items: [RunItem], options: RunOptions) throws(RunFailure) -> ExecPlan {
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
            let text = String(decoding: name, as: UTF8.self)
            // Why: every credential variable used is scrubbed, not only the default ones.
            if EnvironmentPolicy.removedFromChild.contains(text) || options.credentialVariables.contains(text) { continue }
            // The CI identity token is a bearer secret for its lifetime; the child never sees it.
            if CIIdentityToken.removedFromChild.contains(text) { continue }
            position[key] = environment.count
            environment.append((name, Array(entry[(equals + 1)...])))
        }

        // Names are looked up only for --require and --file (most runs have neither).
        var byName = [String: RunItem]()
        if !options.require.isEmpty || !options.files.isEmpty {
            for item in items { byName[item.storedName] = item }
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
            let name = item.name
            if !fileVariables.isEmpty, let variable = fileVariables[item.storedName] {
                injections.append(Injection(name: item.storedName, destination: .file(variable: variable), value: item.value,
                                            storedName: item.storedName, source: item.source))
                continue
            }
            try EnvironmentPolicy.check(name, allowed: options.allowedNames, role: "secret name")
            let hasNUL = item.value.withUnsafeBytes { $0.count > 0 && memchr($0.baseAddress!, 0, $0.count) != nil }
            if hasNUL {
                throw .usage("secret \(Display.name(name)) contains a NUL byte and cannot be an environment variable",
                             hint: "deliver it as a file with --file \(name)")
            }
            injections.append(Injection(name: name, destination: .environment, value: item.value, storedName: item.storedName, source: item.source))
            let nameBytes = Array(name.utf8)
            let key = EnvironmentName(nameBytes)
            // One hash for a new name (nearly all of them): insert, and put back on a clash.
            if let at = position.updateValue(environment.count, forKey: key) {
                position[key] = at
                if options.keepExisting { continue }
                environment[at].value = item.value.unprotectedArray()
            } else {
                environment.append((nameBytes, item.value.unprotectedArray()))
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
}

/// An environment name as a dictionary key, hashed in one call over its bytes (an array of
/// bytes hashes byte by byte: measurable at 10,000 secrets).
struct EnvironmentName: Hashable {
    let bytes: [UInt8]
    init(_ bytes: [UInt8]) { self.bytes = bytes }
    func hash(into hasher: inout Hasher) { bytes.withUnsafeBytes { hasher.combine(bytes: $0) } }
}
