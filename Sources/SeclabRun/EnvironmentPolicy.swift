import SeclabClient

/// Which names may be injected into a child's environment.
///
/// Why a policy: a secret store is a place an attacker who gets write access would love to
/// plant `LD_PRELOAD`, `BASH_ENV` or `GIT_CONFIG_KEY_0=core.fsmonitor`; whole families of such
/// names (`EnvironmentFamilies.swift`) are refused unless a pipeline allows one by name
/// (`--allow-name`). The check runs for every secret of every pull, so it is one hash lookup
/// plus a few byte comparisons chosen by the name's first byte: no regular expressions.
public enum EnvironmentPolicy {
    /// Variables that configure seclab-run itself and are removed from the child's environment,
    /// so the credential never reaches the command (most wrappers leak it).
    public static let removedFromChild: Set<String> = [EnvironmentNames.machineKey, EnvironmentNames.machineKeyFile, EnvironmentNames.server]

    /// Whether `name` is a portable environment variable name: `[A-Za-z_][A-Za-z0-9_]*`.
    public static func isPortable(_ name: String) -> Bool {
        var name = name
        return name.withUTF8 { bytes in
            guard let first = bytes.first, !(first >= UInt8(ascii: "0") && first <= UInt8(ascii: "9")) else { return false }
            for c in bytes {
                // Lower-case letters are upper-case ones with 0x20 set.
                let letter = c | 0x20
                guard (letter >= UInt8(ascii: "a") && letter <= UInt8(ascii: "z")) || (c >= UInt8(ascii: "0") && c <= UInt8(ascii: "9"))
                        || c == UInt8(ascii: "_") else { return false }
            }
            return true
        }
    }

    /// Whether `name` belongs to a refused family.
    public static func isDangerous(_ name: String) -> Bool { family(of: name) != nil }

    /// The refused family `name` belongs to, or nil.
    public static func family(of name: String) -> EnvironmentFamily? {
        matcher.match(name).map { families[$0] }
    }

    /// Check a name that will be set in the child's environment.
    public static func check(_ name: String, allowed: Set<String>, role: String) throws(RunFailure) {
        if !allowed.isEmpty, allowed.contains(name) { return }
        guard isPortable(name) else {
            let shown = Display.name(name)
            throw .usage("\(role) \(shown) is not a valid environment variable name",
                         hint: "deliver it as a file with --file \(shown)=VAR, leave it out with --only, or allow it with --allow-name")
        }
        if let family = family(of: name) {
            throw .usage("\(role) '\(name)' is refused: it belongs to the family of \(family.label), which can change how programs load or run",
                         hint: "if this vault is meant to set it, pass --allow-name \(name) (see \"Refused names\" in docs/seclab-run.md)")
        }
    }

    static let matcher = FamilyMatcher(families, exceptions: conventionalCredentials)
}

/// The families compiled for speed: exact names in one dictionary, prefixes bucketed by their
/// first byte (both cases for any-case ones), and the few suffixes compared from the end.
struct FamilyMatcher: Sendable {
    struct Prefix: Sendable {
        let bytes: [UInt8]
        let family: Int
        let anyCase: Bool
        let noUnderscoreAfter: Bool
    }
    let exact: [String: Int]
    let prefixes: [[Prefix]]
    struct Suffix: Sendable {
        let bytes: [UInt8]
        let family: Int
        let anyCase: Bool
    }
    let suffixes: [Suffix]
    let exceptions: Set<String>

    init(_ families: [EnvironmentFamily], exceptions: Set<String>) {
        var exact = [String: Int]()
        exact.reserveCapacity(families.reduce(0) { $0 + $1.names.count })
        var prefixes = [[Prefix]](repeating: [], count: 256)
        var suffixes = [Suffix]()
        func add(_ text: String, _ family: Int, anyCase: Bool, noUnderscoreAfter: Bool) {
            let bytes = Array(anyCase ? text.lowercased().utf8 : text.utf8)
            let entry = Prefix(bytes: bytes, family: family, anyCase: anyCase, noUnderscoreAfter: noUnderscoreAfter)
            prefixes[Int(bytes[0])].append(entry)
            if anyCase, let upper = Array(text.uppercased().utf8).first, upper != bytes[0] { prefixes[Int(upper)].append(entry) }
        }
        for (index, family) in families.enumerated() {
            for name in family.names { exact[name] = index }
            for prefix in family.prefixes { add(prefix, index, anyCase: false, noUnderscoreAfter: false) }
            for prefix in family.anyCasePrefixes { add(prefix, index, anyCase: true, noUnderscoreAfter: false) }
            for prefix in family.prefixesWithoutUnderscore { add(prefix, index, anyCase: false, noUnderscoreAfter: true) }
            for suffix in family.suffixes { suffixes.append(Suffix(bytes: Array(suffix.utf8), family: index, anyCase: false)) }
            for suffix in family.anyCaseSuffixes { suffixes.append(Suffix(bytes: Array(suffix.lowercased().utf8), family: index, anyCase: true)) }
        }
        self.exact = exact
        self.prefixes = prefixes
        self.suffixes = suffixes
        self.exceptions = exceptions
    }

    /// The index of the family `name` belongs to, or nil.
    func match(_ name: String) -> Int? {
        if let family = exact[name] { return family }
        var copy = name
        let found = copy.withUTF8 { bytes -> Int? in
            guard let first = bytes.first else { return nil }
            for prefix in prefixes[Int(first)] where Self.matches(bytes, prefix.bytes, at: 0, anyCase: prefix.anyCase) {
                if prefix.noUnderscoreAfter && bytes[prefix.bytes.count...].contains(UInt8(ascii: "_")) { continue }
                return prefix.family
            }
            for suffix in suffixes where bytes.count >= suffix.bytes.count {
                if Self.matches(bytes, suffix.bytes, at: bytes.count - suffix.bytes.count, anyCase: suffix.anyCase) { return suffix.family }
            }
            return nil
        }
        guard let found else { return nil }
        return exceptions.contains(name) ? nil : found
    }

    /// Whether `bytes[offset...]` starts with `pattern` (`pattern` lowercase when `anyCase`).
    static func matches(_ bytes: UnsafeBufferPointer<UInt8>, _ pattern: [UInt8], at offset: Int, anyCase: Bool) -> Bool {
        guard bytes.count - offset >= pattern.count else { return false }
        for i in 0..<pattern.count {
            var byte = bytes[offset + i]
            if anyCase, byte >= UInt8(ascii: "A"), byte <= UInt8(ascii: "Z") { byte |= 0x20 }
            if byte != pattern[i] { return false }
        }
        return true
    }
}
