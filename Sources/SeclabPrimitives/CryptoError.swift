/// Errors of the primitives layer. Every case says what was wrong; none carries secret bytes.
public enum CryptoError: Error, Equatable, Sendable, CustomStringConvertible {
    /// An input had the wrong length.
    case invalidLength(what: String, expected: Int, actual: Int)
    /// An AEAD or HPKE open failed: wrong key, wrong associated data, or tampered ciphertext.
    case authenticationFailed(what: String)
    /// An X25519 computation produced the all-zero point (RFC 9180 §7.1.4: abort).
    case zeroSharedSecret
    /// A requested output length is outside what the construction allows.
    case outputTooLong(what: String, maximum: Int, requested: Int)
    /// An Argon2id profile name this build does not know (spec §0: never take parameters from the server).
    case unknownKDFProfile(String)
    /// Argon2id could not run (usually: not enough memory).
    case passwordHashingFailed(String)
    /// A value is out of the range the construction accepts.
    case invalidInput(String)

    /// A one-line message that names what was wrong.
    public var description: String {
        switch self {
        case let .invalidLength(what, expected, actual):
            return "\(what) must be \(expected) bytes, got \(actual)"
        case let .authenticationFailed(what):
            return "\(what) failed to authenticate: wrong key, wrong context, or the data was tampered with"
        case .zeroSharedSecret:
            return "X25519 produced an all-zero shared secret (low-order public key): refused"
        case let .outputTooLong(what, maximum, requested):
            return "\(what) can produce at most \(maximum) bytes, \(requested) requested"
        case let .unknownKDFProfile(name):
            return "unknown key-derivation profile '\(name)': this client knows only p1 and m1; upgrade seclab"
        case let .passwordHashingFailed(reason):
            return "Argon2id failed: \(reason)"
        case let .invalidInput(reason):
            return reason
        }
    }
}
