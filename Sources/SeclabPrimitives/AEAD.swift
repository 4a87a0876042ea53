import CSodium

/// The shape shared by libsodium's two ChaCha20-Poly1305 AEADs (IETF: 12-byte nonce,
/// XChaCha: 24-byte nonce). Both take a 32-byte key and append a 16-byte tag.
struct SodiumAEAD: Sendable {
    typealias Encrypt = @Sendable (
        UnsafeMutablePointer<UInt8>, UnsafeMutablePointer<UInt64>?, UnsafePointer<UInt8>, UInt64,
        UnsafePointer<UInt8>, UInt64, UnsafePointer<UInt8>, UnsafePointer<UInt8>
    ) -> Int32
    typealias Decrypt = @Sendable (
        UnsafeMutablePointer<UInt8>, UnsafeMutablePointer<UInt64>?,
        UnsafePointer<UInt8>, UInt64, UnsafePointer<UInt8>, UInt64, UnsafePointer<UInt8>, UnsafePointer<UInt8>
    ) -> Int32

    let name: String
    let nonceCount: Int
    let encrypt: Encrypt
    let decrypt: Decrypt

    static let tagCount = 16

    func seal(_ plaintext: UnsafeRawBufferPointer, key: SymmetricKey, nonce: [UInt8], aad: [UInt8]) throws(CryptoError) -> [UInt8] {
        guard nonce.count == nonceCount else {
            throw .invalidLength(what: "\(name) nonce", expected: nonceCount, actual: nonce.count)
        }
        Sodium.ready()
        var out = [UInt8](repeating: 0, count: plaintext.count + Self.tagCount)
        var outLength: UInt64 = 0
        let rc = key.withUnsafeBytes { k in
            out.withUnsafeMutableBytes { o in
                encrypt(o.bytePointer, &outLength, plaintext.bytePointer, UInt64(plaintext.count),
                        aad, UInt64(aad.count), nonce, k.bytePointer)
            }
        }
        precondition(rc == 0 && Int(outLength) == out.count, "AEAD encryption cannot fail for valid lengths")
        return out
    }

    func open(_ ciphertext: [UInt8], key: SymmetricKey, nonce: [UInt8], aad: [UInt8], what: String) throws(CryptoError) -> SecretBytes {
        try checkOpenable(ciphertext, nonce: nonce, what: what)
        var failed = false
        let plaintext = key.withUnsafeBytes { k in
            SecretBytes(count: ciphertext.count - Self.tagCount) { out in
                var outLength: UInt64 = 0
                let rc = decrypt(out.bytePointer, &outLength,
                                 ciphertext, UInt64(ciphertext.count), aad, UInt64(aad.count),
                                 nonce, k.bytePointer)
                failed = rc != 0
            }
        }
        if failed { throw .authenticationFailed(what: what) }
        return plaintext
    }

    /// `open` into a plain array, for a plaintext that is no secret from whoever holds the key
    /// and becomes a plain value at once (an item's name, which becomes an environment name).
    func openPublic(_ ciphertext: [UInt8], key: SymmetricKey, nonce: [UInt8], aad: [UInt8], what: String) throws(CryptoError) -> [UInt8] {
        try checkOpenable(ciphertext, nonce: nonce, what: what)
        var plaintext = [UInt8](repeating: 0, count: ciphertext.count - Self.tagCount)
        var outLength: UInt64 = 0
        let rc = key.withUnsafeBytes { k in
            plaintext.withUnsafeMutableBytes { out in
                decrypt(out.bytePointer, &outLength, ciphertext, UInt64(ciphertext.count), aad, UInt64(aad.count), nonce, k.bytePointer)
            }
        }
        guard rc == 0 else { throw .authenticationFailed(what: what) }
        return plaintext
    }

    /// Length checks first, so that malformed input never reaches libsodium (spec §2).
    private func checkOpenable(_ ciphertext: [UInt8], nonce: [UInt8], what: String) throws(CryptoError) {
        guard nonce.count == nonceCount else {
            throw .invalidLength(what: "\(name) nonce", expected: nonceCount, actual: nonce.count)
        }
        guard ciphertext.count >= Self.tagCount else {
            throw .invalidInput("\(what): ciphertext of \(ciphertext.count) bytes is shorter than the 16-byte tag")
        }
        Sodium.ready()
    }
}

/// XChaCha20-Poly1305-IETF (spec §1): 32-byte key, 24-byte random nonce, 16-byte tag.
public enum XChaCha20Poly1305 {
    /// Nonce length in bytes.
    public static let nonceCount = 24
    /// Tag length in bytes.
    public static let tagCount = 16

    static let aead = SodiumAEAD(
        name: "XChaCha20-Poly1305", nonceCount: nonceCount,
        encrypt: { crypto_aead_xchacha20poly1305_ietf_encrypt($0, $1, $2, $3, $4, $5, nil, $6, $7) },
        decrypt: { crypto_aead_xchacha20poly1305_ietf_decrypt($0, $1, nil, $2, $3, $4, $5, $6, $7) }
    )

    /// Encrypt under a fresh random nonce. Returns the nonce and `ciphertext ‖ tag`.
    ///
    /// Why random nonces are safe here: 192-bit nonces make collisions negligible for any
    /// number of messages one key will ever see (spec §1: every nonce fresh random).
    public static func seal(_ plaintext: UnsafeRawBufferPointer, key: SymmetricKey, aad: [UInt8]) -> (nonce: [UInt8], ciphertext: [UInt8]) {
        let nonce = randomBytes(count: nonceCount)
        // Lengths are correct by construction, so this cannot throw.
        let ciphertext = try! aead.seal(plaintext, key: key, nonce: nonce, aad: aad)
        return (nonce, ciphertext)
    }

    /// Encrypt with a caller-chosen nonce. Test path only: production code never picks a nonce.
    @_spi(SeclabTesting)
    public static func seal(_ plaintext: UnsafeRawBufferPointer, key: SymmetricKey, nonce: [UInt8], aad: [UInt8]) throws(CryptoError) -> [UInt8] {
        try aead.seal(plaintext, key: key, nonce: nonce, aad: aad)
    }

    /// Decrypt and verify. `what` names the object in the error message.
    public static func open(_ ciphertext: [UInt8], key: SymmetricKey, nonce: [UInt8], aad: [UInt8], what: String = "XChaCha20-Poly1305 ciphertext") throws(CryptoError) -> SecretBytes {
        try aead.open(ciphertext, key: key, nonce: nonce, aad: aad, what: what)
    }

    /// Decrypt and verify `ciphertext` (tag last, at least 16 bytes) into `plaintext`, which
    /// has room for `ciphertext.count - 16` bytes: false when it does not verify (then
    /// `plaintext` holds nothing usable). For callers that checked the lengths and keep the
    /// bytes in memory of their own: a pull's items (`ItemCipher.openIfValid`), whose values go
    /// straight into a `SecretBytes` and whose names become plain arrays at once.
    public static func open(_ ciphertext: UnsafeBufferPointer<UInt8>, nonce: UnsafePointer<UInt8>, aad: UnsafeBufferPointer<UInt8>,
                            key: SymmetricKey, into plaintext: UnsafeMutablePointer<UInt8>) -> Bool {
        precondition(ciphertext.count >= tagCount, "checked by the caller")
        Sodium.ready()
        var length: UInt64 = 0
        return key.withUnsafeBytes { k in
            crypto_aead_xchacha20poly1305_ietf_decrypt(plaintext, &length, nil, ciphertext.baseAddress!, UInt64(ciphertext.count),
                                                        aad.baseAddress, UInt64(aad.count), nonce, k.bytePointer)
        } == 0
    }

    /// Decrypt and verify into a plain array: only for a plaintext that is no secret from the
    /// key's holder and becomes a plain value at once (an item's name). Everything else: `open`.
    public static func openPublic(_ ciphertext: [UInt8], key: SymmetricKey, nonce: [UInt8], aad: [UInt8], what: String = "XChaCha20-Poly1305 ciphertext") throws(CryptoError) -> [UInt8] {
        try aead.openPublic(ciphertext, key: key, nonce: nonce, aad: aad, what: what)
    }
}

/// ChaCha20-Poly1305-IETF (RFC 8439), the AEAD of the HPKE suite (spec §1: AEAD id 0x0003).
public enum ChaCha20Poly1305 {
    /// Nonce length in bytes.
    public static let nonceCount = 12
    /// Tag length in bytes.
    public static let tagCount = 16

    static let aead = SodiumAEAD(
        name: "ChaCha20-Poly1305", nonceCount: nonceCount,
        encrypt: { crypto_aead_chacha20poly1305_ietf_encrypt($0, $1, $2, $3, $4, $5, nil, $6, $7) },
        decrypt: { crypto_aead_chacha20poly1305_ietf_decrypt($0, $1, nil, $2, $3, $4, $5, $6, $7) }
    )

    /// Encrypt with an explicit nonce (HPKE derives its nonces; it never draws them).
    public static func seal(_ plaintext: UnsafeRawBufferPointer, key: SymmetricKey, nonce: [UInt8], aad: [UInt8]) throws(CryptoError) -> [UInt8] {
        try aead.seal(plaintext, key: key, nonce: nonce, aad: aad)
    }

    /// Decrypt and verify.
    public static func open(_ ciphertext: [UInt8], key: SymmetricKey, nonce: [UInt8], aad: [UInt8], what: String = "ChaCha20-Poly1305 ciphertext") throws(CryptoError) -> SecretBytes {
        try aead.open(ciphertext, key: key, nonce: nonce, aad: aad, what: what)
    }
}

/// `count` random public bytes (nonces, salts, ids) from libsodium's CSPRNG.
public func randomBytes(count: Int) -> [UInt8] {
    Sodium.ready()
    var out = [UInt8](repeating: 0, count: count)
    if count > 0 { randombytes_buf(&out, count) }
    return out
}
