public import SeclabFormat
public import SeclabPrimitives

/// The Account Unlock Key (spec §4): never stored, never sent; wraps the account private key.
public struct AccountUnlockKey: SecretValue {
    /// The protected 32 bytes.
    public let secretBytes: SecretBytes
    init(_ bytes: SecretBytes) { secretBytes = bytes }
    var symmetricKey: SymmetricKey { try! SymmetricKey(secretBytes) }
}

/// The SRP-6a secret `x` (spec §4), 32 bytes read as a big-endian integer.
public struct SRPSecret: SecretValue {
    /// The protected 32 bytes.
    public let secretBytes: SecretBytes
    init(_ bytes: SecretBytes) { secretBytes = bytes }
}

/// Two-Secret Key Derivation (spec §4), client side only.
///
/// Why two secrets: the passphrase is stretched with Argon2id and the Secret Key is mixed in by
/// XOR, so a stolen Emergency Kit alone, or a guessed passphrase alone, derives nothing.
public enum TwoSecretKeyDerivation {
    /// `AUK = Argon2id(P', salt_auk, profile) XOR HKDF(SK, account_id, "auk", 32)`.
    public static func accountUnlockKey(passphrase: NormalizedPassphrase, secretKey: SecretKey, accountID: SeclabID,
                                        saltAUK: [UInt8], profile: Argon2id.Profile) throws(KeysError) -> AccountUnlockKey {
        AccountUnlockKey(try combine(passphrase, secretKey, accountID, salt: saltAUK, label: Labels.auk, profile: profile))
    }

    /// `xraw = Argon2id(P', salt_srp, profile) XOR HKDF(SK, account_id, "srp-x", 32)`.
    public static func srpSecret(passphrase: NormalizedPassphrase, secretKey: SecretKey, accountID: SeclabID,
                                 saltSRP: [UInt8], profile: Argon2id.Profile) throws(KeysError) -> SRPSecret {
        SRPSecret(try combine(passphrase, secretKey, accountID, salt: saltSRP, label: Labels.srpX, profile: profile))
    }

    private static func combine(_ passphrase: NormalizedPassphrase, _ secretKey: SecretKey, _ accountID: SeclabID,
                                salt: [UInt8], label: String, profile: Argon2id.Profile) throws(KeysError) -> SecretBytes {
        let stretched: SecretBytes
        let fromSecretKey: SecretBytes
        do {
            stretched = try passphrase.withUnsafeBytes { pw throws(CryptoError) in
                try Argon2id.derive(password: pw, salt: salt, profile: profile)
            }
            fromSecretKey = try HKDFSHA256.derive(ikm: secretKey.secretBytes, salt: accountID.bytes,
                                                  info: Labels.bytes(label), length: 32)
        } catch {
            throw KeysError.crypto("key derivation failed: \(error)")
        }
        return stretched.withUnsafeBytes { a in
            fromSecretKey.withUnsafeBytes { b in
                SecretBytes(count: 32) { out in
                    for i in 0..<32 { out[i] = a[i] ^ b[i] }
                }
            }
        }
    }
}

extension AccountUnlockKey {
    /// Test path: an AUK given directly, for the account-key vectors.
    @_spi(SeclabTesting)
    public init(testBytes: SecretBytes) throws(KeysError) {
        guard testBytes.count == 32 else { throw .malformed("an AUK is 32 bytes") }
        self.init(testBytes)
    }
}
