/// Errors of the SRP-6a layer (spec §8). Every case says what was wrong; none carries secret
/// bytes, so an error may be logged or shown as it is.
public enum SRPError: Error, Equatable, Sendable, CustomStringConvertible {
    /// A peer's public value (A or B) was refused: wrong length, not below N, or 0 mod N.
    /// The text names the value and the rule it broke.
    case invalidPublicValue(String)
    /// A stored verifier is out of range (0, or not below N): the record is corrupt.
    case invalidVerifier(String)
    /// The scrambler `u = H(PAD(A) ‖ PAD(B))` is zero (spec §8: both sides abort).
    case zeroScrambler
    /// A proof (M1 at the server, M2 at the client) did not match: the peer does not know
    /// the same secret.
    case proofMismatch
    /// An input had the wrong length.
    case invalidLength(what: String, expected: Int, actual: Int)
    /// libcrypto's big-number arithmetic failed (out of memory); not caused by the inputs.
    case arithmeticFailed(String)

    /// A one-line message that names what was wrong.
    public var description: String {
        switch self {
        case let .invalidPublicValue(reason):
            return "SRP public value refused: \(reason)"
        case let .invalidVerifier(reason):
            return "SRP verifier refused: \(reason)"
        case .zeroScrambler:
            return "SRP scrambler u = H(PAD(A) ‖ PAD(B)) is zero: login aborted"
        case .proofMismatch:
            return "SRP proof mismatch: the other side does not hold the same secret (wrong passphrase or Secret Key, or an impostor server)"
        case let .invalidLength(what, expected, actual):
            return "\(what) must be \(expected) bytes, got \(actual)"
        case let .arithmeticFailed(operation):
            return "SRP big-number arithmetic failed in \(operation) (libcrypto, probably out of memory)"
        }
    }
}
