public import SeclabPrimitives

/// An error of the wire and text formats (spec §0, §2): what was malformed and how.
/// Raised before any decryption is attempted.
public struct FormatError: Error, Equatable, Sendable, CustomStringConvertible {
    /// A one-line message naming the field and the problem.
    public let message: String

    /// Make an error with a message.
    public init(_ message: String) { self.message = message }

    /// Wrap a strict-decoder error, naming the field it came from.
    public init(_ error: DecodingError) { self.message = error.message }

    /// The message.
    public var description: String { message }
}
