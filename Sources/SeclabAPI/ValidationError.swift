/// A request field that failed validation: which field and why. Rendered by the server as a
/// 400 whose message names the field, and usable by clients to check a body before sending it.
public struct APIValidationError: Error, Equatable, Sendable, CustomStringConvertible {
    /// The JSON path of the offending field, e.g. `owner_slot.wrapped_vk` or `items[3].key_ref`.
    public let field: String
    /// What was wrong, without echoing the value (values may be ciphertext or secrets).
    public let reason: String

    /// Make an error for `field`.
    public init(field: String, reason: String) {
        self.field = field
        self.reason = reason
    }

    /// `field: reason`.
    public var description: String { "\(field): \(reason)" }
}

/// A request body that can check itself after JSON decoding. Every `/v1` request type
/// conforms; the server calls `validate()` before touching the database.
public protocol ValidatedRequest: Codable, Sendable {
    /// Throw on the first field that breaks the contract in docs/openapi.yaml.
    func validate() throws(APIValidationError)
}
