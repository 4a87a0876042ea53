public import SeclabPrimitives

/// HPKE (RFC 9180) for seclab's one suite: DHKEM(X25519, HKDF-SHA256), HKDF-SHA256,
/// ChaCha20-Poly1305 (spec §1), in mode_base (0x00) and mode_auth (0x02).
///
/// The application uses the single-shot calls: `sealAuth`/`openAuth` wrap vault keys and
/// escrowed unwrap keys (spec §6.1, §6.2); `sealBase`/`openBase` exist for completeness and
/// the RFC vectors. Each seal draws a fresh ephemeral key from libsodium's CSPRNG and encrypts
/// one message at sequence number 0 (RFC 9180 §6.1). The text form `hp1.…` is built elsewhere;
/// this type deals in the raw `enc` (32 bytes) and `ciphertext ‖ tag`.
public enum HPKE {
    /// The name used in `CryptoError.authenticationFailed(what:)` when an open fails.
    public static let ciphertextName = "HPKE ciphertext"

    // MARK: single-shot API

    /// Single-shot auth-mode seal (spec §6.1): fresh ephemeral key from libsodium randomness.
    ///
    /// Why auth mode: the wrap opens only with the sender's public key, so a server cannot
    /// plant a key of its own choosing in anyone's vault list (spec §1).
    public static func sealAuth(_ plaintext: SecretBytes, recipient: X25519PublicKey, sender: X25519PrivateKey,
                                info: [UInt8], aad: [UInt8]) throws(CryptoError) -> (enc: [UInt8], ciphertext: [UInt8]) {
        try sealAuth(plaintext, recipient: recipient, sender: sender, info: info, aad: aad, ephemeral: .random())
    }

    /// Single-shot auth-mode open (spec §6.1, RFC 9180 §6.1 `OpenAuth`). `sender` is the public
    /// key of the account that must have sealed it; any other sender fails to authenticate.
    ///
    /// Throws `invalidLength` for an `enc` that is not 32 bytes and `invalidInput` for a
    /// ciphertext shorter than the 16-byte tag (both before any DH), `zeroSharedSecret` for a
    /// low-order `enc` or sender key, and `authenticationFailed(what: "HPKE ciphertext")` for
    /// a wrong key, sender, `info`, `aad`, or tampered data.
    public static func openAuth(enc: [UInt8], ciphertext: [UInt8], recipient: X25519PrivateKey, sender: X25519PublicKey,
                                info: [UInt8], aad: [UInt8]) throws(CryptoError) -> SecretBytes {
        try checkShape(enc: enc, ciphertext: ciphertext)
        var context = try setupAuthRecipient(enc: enc, recipient: recipient, sender: sender, info: info)
        return try context.open(ciphertext, aad: aad)
    }

    /// Single-shot base-mode seal (RFC 9180 §6.1 `Seal`): fresh ephemeral key from libsodium
    /// randomness. Base mode does not authenticate the sender; seclab's wraps use `sealAuth`.
    public static func sealBase(_ plaintext: SecretBytes, recipient: X25519PublicKey,
                                info: [UInt8], aad: [UInt8]) throws(CryptoError) -> (enc: [UInt8], ciphertext: [UInt8]) {
        try sealBase(plaintext, recipient: recipient, info: info, aad: aad, ephemeral: .random())
    }

    /// Single-shot base-mode open (RFC 9180 §6.1 `Open`). Errors as for `openAuth`.
    public static func openBase(enc: [UInt8], ciphertext: [UInt8], recipient: X25519PrivateKey,
                                info: [UInt8], aad: [UInt8]) throws(CryptoError) -> SecretBytes {
        try checkShape(enc: enc, ciphertext: ciphertext)
        var context = try setupBaseRecipient(enc: enc, recipient: recipient, info: info)
        return try context.open(ciphertext, aad: aad)
    }

    // MARK: test path: caller-chosen ephemeral keys

    /// Test path only: a caller-chosen ephemeral key, so the spec vectors can be reproduced.
    ///
    /// Why SPI: reusing an ephemeral key with the same recipient and sender gives the same
    /// AEAD key and nonce for two messages (RFC 9180 §9.7.1); production never picks one.
    @_spi(SeclabTesting)
    public static func sealAuth(_ plaintext: SecretBytes, recipient: X25519PublicKey, sender: X25519PrivateKey,
                                info: [UInt8], aad: [UInt8],
                                ephemeral: X25519PrivateKey) throws(CryptoError) -> (enc: [UInt8], ciphertext: [UInt8]) {
        var context = try setupAuthSender(recipient: recipient, sender: sender, info: info, ephemeral: ephemeral)
        return (context.enc, try context.seal(plaintext, aad: aad))
    }

    /// Test path only: a caller-chosen ephemeral key, so the spec vectors can be reproduced.
    @_spi(SeclabTesting)
    public static func sealBase(_ plaintext: SecretBytes, recipient: X25519PublicKey, info: [UInt8], aad: [UInt8],
                                ephemeral: X25519PrivateKey) throws(CryptoError) -> (enc: [UInt8], ciphertext: [UInt8]) {
        var context = try setupBaseSender(recipient: recipient, info: info, ephemeral: ephemeral)
        return (context.enc, try context.seal(plaintext, aad: aad))
    }

    // MARK: test path: contexts (RFC 9180 §5.1.1, §5.1.3)

    /// `SetupBaseS(pkR, info)` with a caller-chosen ephemeral key. Test path only.
    @_spi(SeclabTesting)
    public static func setupBaseSender(recipient: X25519PublicKey, info: [UInt8],
                                       ephemeral: X25519PrivateKey) throws(CryptoError) -> SenderContext {
        let (sharedSecret, enc) = try KEM.encap(recipient: recipient, ephemeral: ephemeral)
        return SenderContext(enc: enc, schedule: try KeySchedule(mode: .base, sharedSecret: sharedSecret, info: info))
    }

    /// `SetupBaseR(enc, skR, info)`. Test path only.
    @_spi(SeclabTesting)
    public static func setupBaseRecipient(enc: [UInt8], recipient: X25519PrivateKey,
                                          info: [UInt8]) throws(CryptoError) -> RecipientContext {
        let sharedSecret = try KEM.decap(enc: enc, recipient: recipient)
        return RecipientContext(schedule: try KeySchedule(mode: .base, sharedSecret: sharedSecret, info: info))
    }

    /// `SetupAuthS(pkR, info, skS)` with a caller-chosen ephemeral key. Test path only.
    @_spi(SeclabTesting)
    public static func setupAuthSender(recipient: X25519PublicKey, sender: X25519PrivateKey, info: [UInt8],
                                       ephemeral: X25519PrivateKey) throws(CryptoError) -> SenderContext {
        let (sharedSecret, enc) = try KEM.authEncap(recipient: recipient, sender: sender, ephemeral: ephemeral)
        return SenderContext(enc: enc, schedule: try KeySchedule(mode: .auth, sharedSecret: sharedSecret, info: info))
    }

    /// `SetupAuthR(enc, skR, info, pkS)`. Test path only.
    @_spi(SeclabTesting)
    public static func setupAuthRecipient(enc: [UInt8], recipient: X25519PrivateKey, sender: X25519PublicKey,
                                          info: [UInt8]) throws(CryptoError) -> RecipientContext {
        let sharedSecret = try KEM.authDecap(enc: enc, recipient: recipient, sender: sender)
        return RecipientContext(schedule: try KeySchedule(mode: .auth, sharedSecret: sharedSecret, info: info))
    }

    // MARK: input shape

    /// Why before any DH: spec §2 requires a wrong enc length or a ciphertext shorter than the
    /// tag to be refused with a clear error before any decryption work; it also keeps
    /// malformed input away from libsodium.
    static func checkShape(enc: [UInt8], ciphertext: [UInt8]) throws(CryptoError) {
        guard enc.count == Suite.encCount else {
            throw .invalidLength(what: "HPKE enc", expected: Suite.encCount, actual: enc.count)
        }
        guard ciphertext.count >= Suite.tagCount else {
            throw .invalidInput("\(ciphertextName): \(ciphertext.count) bytes is shorter than the \(Suite.tagCount)-byte tag")
        }
    }
}
