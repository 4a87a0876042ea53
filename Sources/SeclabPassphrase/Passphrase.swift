import Foundation
public import SeclabKeys
import SeclabPrimitives

/// Passphrase normalization (spec §3): `P' = NFKD(P)` with leading and trailing white space
/// removed; empty after normalization is rejected.
///
/// Why a target of its own: NFKD needs Foundation's ICU tables (~47 MiB in a static binary);
/// only the owner's CLI handles passphrases, so only it links this.
extension NormalizedPassphrase {
    /// Normalize a passphrase as typed.
    public init(normalizing passphrase: String) throws(KeysError) {
        let normalized = passphrase.decomposedStringWithCompatibilityMapping
            .trimmingCharacters(in: .whitespacesAndNewlines)
        var bytes = Array(normalized.utf8)
        defer { for i in bytes.indices { bytes[i] = 0 } }
        try self.init(normalizedUTF8: SecretBytes(copying: bytes))
    }
}
