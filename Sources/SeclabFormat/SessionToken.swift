public import SeclabPrimitives

/// Session tokens (spec §9): 32 random bytes, b64u on the wire; the server stores only H(token).
public struct SessionToken: Sendable, CustomStringConvertible {
    /// The 32 secret token bytes.
    public let secretBytes: SecretBytes

    /// A fresh token from libsodium's CSPRNG.
    public static func generate() -> SessionToken { SessionToken(secretBytes: .random(count: 32)) }

    init(secretBytes: SecretBytes) { self.secretBytes = secretBytes }

    /// Parse a bearer token from its wire text.
    public init(text: some StringProtocol) throws(FormatError) {
        do {
            var bytes = try Base64URL.decode(text, count: 32, what: "session token")
            secretBytes = SecretBytes(copying: bytes)
            for i in bytes.indices { bytes[i] = 0 }
        } catch { throw FormatError(error) }
    }

    /// The wire text; handed to the client once, never logged.
    public var text: String { secretBytes.withUnsafeBytes { Base64URL.encode($0) } }

    /// H(token), the only form the server keeps (spec §9): a database leak yields no usable token.
    public var hash: [UInt8] { SHA256.hash(secretBytes) }

    /// Redacted.
    public var description: String { "SessionToken(redacted)" }
}
