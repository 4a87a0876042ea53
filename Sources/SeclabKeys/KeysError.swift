import SeclabFormat
import SeclabPrimitives

/// Errors of the key hierarchy: what went wrong, in words a user or operator can act on.
/// Messages never contain key bytes or plaintext.
public enum KeysError: Error, Equatable, Sendable, CustomStringConvertible {
    /// Malformed text or structure (credential, Secret Key, blob, id).
    case malformed(String)
    /// A checksum did not match: the text was mistyped or truncated.
    case checksumMismatch(String)
    /// Decryption or authentication failed: wrong key, wrong context, or tampering.
    case decryptionFailed(String)
    /// A decrypted item name does not hash to the key_ref it was stored under (spec §7 MUST).
    case keyRefMismatch
    /// A name or value outside the spec's limits.
    case invalidName(String)
    /// A value over the size limit.
    case valueTooLarge(Int)
    /// A passphrase that is empty after normalization (spec §3).
    case emptyPassphrase
    /// An underlying primitive failed in a way not covered above.
    case crypto(String)

    /// A one-line message.
    public var description: String {
        switch self {
        case let .malformed(message): return message
        case let .checksumMismatch(message): return message
        case let .decryptionFailed(message): return message
        case .keyRefMismatch:
            return "an item's name does not match its key_ref: the server re-labelled or swapped an item"
        case let .invalidName(message): return message
        case let .valueTooLarge(count): return "secret value of \(count) bytes exceeds the 1 MiB limit"
        case .emptyPassphrase: return "the passphrase is empty after normalization"
        case let .crypto(message): return message
        }
    }

    static func from(_ error: CryptoError, what: String) -> KeysError {
        switch error {
        case .authenticationFailed: return .decryptionFailed("\(what) could not be decrypted: wrong key, or the data was swapped or tampered with")
        default: return .crypto("\(what): \(error)")
        }
    }

    static func from(_ error: FormatError) -> KeysError { .malformed(error.message) }
}

/// Concatenate byte strings (spec §0 `a ‖ b`).
func concat(_ parts: [UInt8]...) -> [UInt8] {
    var out = [UInt8]()
    for part in parts { out += part }
    return out
}
