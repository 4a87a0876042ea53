public import JWTKit

/// One claim's value as a CI token carries it.
public enum ClaimValue: Sendable, Hashable, Codable {
    /// A JSON string.
    case string(String)
    /// A JSON number, as a Double (times, ids).
    case number(Double)
    /// A JSON boolean.
    case bool(Bool)
    /// A JSON array of strings (`aud` may be one).
    case strings([String])
    /// Anything else (objects, mixed arrays, null): never matches a pattern.
    case other

    /// Decode any JSON value.
    public init(from decoder: any Decoder) throws {
        let container = try decoder.singleValueContainer()
        if let text = try? container.decode(String.self) { self = .string(text) }
        else if let flag = try? container.decode(Bool.self) { self = .bool(flag) }
        else if let number = try? container.decode(Double.self) { self = .number(number) }
        else if let list = try? container.decode([String].self) { self = .strings(list) }
        else { self = .other }
    }

    /// Encode (the test identity provider mints tokens with these).
    public func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        switch self {
        case let .string(text): try container.encode(text)
        case let .number(number):
            if number == number.rounded(), abs(number) < 1e15 { try container.encode(Int64(number)) } else { try container.encode(number) }
        case let .bool(flag): try container.encode(flag)
        case let .strings(list): try container.encode(list)
        case .other: try container.encodeNil()
        }
    }

    /// The text a pattern is matched against: strings as they are, integers in decimal,
    /// booleans as `true`/`false`; arrays and objects have none.
    public var text: String? {
        switch self {
        case let .string(text): text
        case let .number(number): number == number.rounded() && abs(number) < 1e15 ? String(Int64(number)) : String(number)
        case let .bool(flag): flag ? "true" : "false"
        case .strings, .other: nil
        }
    }
}

/// Every claim of a token's payload, by name: binding patterns may name any claim, so the
/// payload is not a fixed struct.
///
/// `verify(using:)` checks nothing on purpose: `TokenVerifier` checks issuer, times, audience
/// and the policy itself, with the slot's values, right after jwt-kit has checked the signature.
public struct ClaimSet: JWTPayload, Sendable, Hashable {
    /// The claims.
    public var values: [String: ClaimValue]

    /// A claim set from a dictionary.
    public init(_ values: [String: ClaimValue]) { self.values = values }

    /// Decode a JSON object of claims.
    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: AnyKey.self)
        var values: [String: ClaimValue] = [:]
        for key in container.allKeys { values[key.stringValue] = try container.decode(ClaimValue.self, forKey: key) }
        self.values = values
    }

    /// Encode as a JSON object.
    public func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: AnyKey.self)
        for (key, value) in values { try container.encode(value, forKey: AnyKey(key)) }
    }

    /// Checks happen in `TokenVerifier` (see the type's comment).
    public func verify(using algorithm: some JWTAlgorithm) async throws {}

    /// A claim as pattern text, if it has one.
    public func text(_ key: String) -> String? { values[key]?.text }

    /// A numeric claim (seconds since the epoch for `exp`, `nbf`, `iat`).
    public func number(_ key: String) -> Double? {
        if case let .number(number) = values[key] { return number }
        return nil
    }

    /// `aud` as a list (a single string is a list of one).
    public var audiences: [String]? {
        switch values["aud"] {
        case let .string(text): [text]
        case let .strings(list): list
        default: nil
        }
    }

    struct AnyKey: CodingKey {
        var stringValue: String
        var intValue: Int? { nil }
        init(_ string: String) { stringValue = string }
        init?(stringValue: String) { self.stringValue = stringValue }
        init?(intValue: Int) { nil }
    }
}
