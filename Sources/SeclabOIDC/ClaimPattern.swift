/// One `KEY=PATTERN` of a binding: the token's claim `key` must match `pattern`.
///
/// PATTERN is compared byte for byte (case-sensitive). `*` matches one or more characters other
/// than `/` (one path segment, or the part of one between literals: `repository=acme/*`,
/// `sub=repo:acme/*:ref:refs/heads/main`); `**` matches one or more characters including `/`
/// (several segments: `ref=refs/heads/release/**`). Three or more stars in a row are refused
/// at creation, as are empty keys and the claims checked separately (`aud`, `exp`, `nbf`, `iat`).
public struct ClaimPattern: Sendable, Hashable, Codable, CustomStringConvertible {
    /// The claim's name, e.g. `repository`.
    public let key: String
    /// The pattern its value must match.
    public let pattern: String

    /// Longest accepted key and pattern (bytes); claims in CI tokens are short.
    static let maxKeyBytes = 64
    static let maxPatternBytes = 512
    /// Claims never bound by pattern: the audience is the slot's `audience`, the times are checked with a leeway.
    static let reservedKeys: Set<String> = ["aud", "exp", "nbf", "iat"]

    /// Check one key and pattern.
    public init(key: String, pattern: String) throws(OIDCError) {
        guard !key.isEmpty, key.utf8.count <= Self.maxKeyBytes,
              key.utf8.allSatisfy({ $0 > 0x20 && $0 < 0x7F && $0 != UInt8(ascii: "=") }) else {
            throw .invalidConfiguration("OIDC claim name \"\(key)\" must be 1 to \(Self.maxKeyBytes) printable ASCII characters without '='")
        }
        guard !Self.reservedKeys.contains(key) else {
            throw .invalidConfiguration("OIDC claim \(key) cannot be bound by a pattern (the audience is --oidc-audience; times are always checked)")
        }
        guard !pattern.isEmpty, pattern.utf8.count <= Self.maxPatternBytes,
              pattern.utf8.allSatisfy({ $0 >= 0x20 && $0 != 0x7F }) else {
            throw .invalidConfiguration("OIDC claim pattern for \(key) must be 1 to \(Self.maxPatternBytes) characters without control characters")
        }
        guard !pattern.contains("***") else {
            throw .invalidConfiguration("OIDC claim pattern for \(key) has three or more '*' in a row; use * for one segment or ** for several")
        }
        self.key = key
        self.pattern = pattern
    }

    /// Parse `KEY=PATTERN` (the first `=` separates them).
    public init(parsing text: String) throws(OIDCError) {
        guard let equals = text.firstIndex(of: "=") else {
            throw .invalidConfiguration("OIDC claim \"\(text)\" must be KEY=PATTERN, e.g. repository=acme/app")
        }
        try self.init(key: String(text[..<equals]), pattern: String(text[text.index(after: equals)...]))
    }

    /// Codable through the checking initialiser: a stored policy is validated again when read.
    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        let key = try container.decode(String.self, forKey: .key)
        let pattern = try container.decode(String.self, forKey: .pattern)
        do { try self.init(key: key, pattern: pattern) } catch {
            throw DecodingError.dataCorruptedError(forKey: .key, in: container, debugDescription: "\(error)")
        }
    }

    private enum CodingKeys: String, CodingKey { case key, pattern }

    /// `KEY=PATTERN`.
    public var description: String { "\(key)=\(pattern)" }

    /// Whether `value` matches the pattern (whole value, byte for byte).
    public func matches(_ value: String) -> Bool {
        GlobMatcher.matches(pattern: Array(pattern.utf8), value: Array(value.utf8))
    }
}

/// Segment glob over bytes, by dynamic programming (no backtracking blow-up on hostile values).
enum GlobMatcher {
    private enum Token { case byte(UInt8), one, many }

    static func matches(pattern: [UInt8], value: [UInt8]) -> Bool {
        guard value.count <= 4096 else { return false }
        var tokens: [Token] = []
        var index = 0
        while index < pattern.count {
            if pattern[index] == UInt8(ascii: "*") {
                if index + 1 < pattern.count, pattern[index + 1] == UInt8(ascii: "*") {
                    tokens.append(.many); index += 2
                } else {
                    tokens.append(.one); index += 1
                }
            } else {
                tokens.append(.byte(pattern[index])); index += 1
            }
        }
        // reach[j]: the tokens so far can consume exactly value[0..<j].
        var reach = [Bool](repeating: false, count: value.count + 1)
        reach[0] = true
        for token in tokens {
            var next = [Bool](repeating: false, count: value.count + 1)
            switch token {
            case let .byte(byte):
                for j in 0..<value.count where reach[j] && value[j] == byte { next[j + 1] = true }
            case .one, .many:
                // A run of one or more bytes starting at any reachable position; `*` stops at `/`.
                let crossesSlash: Bool = if case .many = token { true } else { false }
                var active = false
                for j in 0..<value.count {
                    active = (active || reach[j]) && (crossesSlash || value[j] != UInt8(ascii: "/"))
                    if active { next[j + 1] = true }
                }
            }
            reach = next
        }
        return reach[value.count]
    }
}
