public import SeclabFormat
@_spi(SeclabTesting) public import SeclabPrimitives

/// The account keypair (spec §5): X25519, made on the device at sign-up. The private half is
/// stored only as `enc_private_key` under the AUK; the public half wraps vault keys.
public struct AccountKeyPair: Sendable {
    /// The private key.
    public let privateKey: X25519PrivateKey
    /// The public key.
    public var publicKey: X25519PublicKey { privateKey.publicKey }

    /// Wrap an existing private key.
    public init(privateKey: X25519PrivateKey) { self.privateKey = privateKey }

    /// A fresh keypair.
    public static func generate() -> AccountKeyPair { AccountKeyPair(privateKey: .random()) }

    /// `enc_private_key = AEAD(AUK, sk, aad = "seclab/v1/account-key" ‖ account_id)`.
    public func sealPrivateKey(auk: AccountUnlockKey, accountID: SeclabID) -> AEADBlob {
        let sealed = privateKey.withUnsafeBytes { sk in
            XChaCha20Poly1305.seal(sk, key: auk.symmetricKey, aad: Self.aad(accountID))
        }
        return try! AEADBlob(nonce: sealed.nonce, ciphertext: sealed.ciphertext)
    }

    /// Test path: a fixed nonce, to reproduce the spec vectors.
    @_spi(SeclabTesting)
    public func sealPrivateKey(auk: AccountUnlockKey, accountID: SeclabID, nonce: [UInt8]) throws -> AEADBlob {
        let ciphertext = try privateKey.withUnsafeBytes { sk in
            try XChaCha20Poly1305.seal(sk, key: auk.symmetricKey, nonce: nonce, aad: Self.aad(accountID))
        }
        return try AEADBlob(nonce: nonce, ciphertext: ciphertext)
    }

    /// Open `enc_private_key` with the AUK. A wrong passphrase or Secret Key fails here.
    public static func open(_ blob: AEADBlob, auk: AccountUnlockKey, accountID: SeclabID) throws(KeysError) -> AccountKeyPair {
        do {
            let sk = try XChaCha20Poly1305.open(blob.ciphertext, key: auk.symmetricKey, nonce: blob.nonce,
                                                aad: aad(accountID), what: "account private key")
            return AccountKeyPair(privateKey: try X25519PrivateKey(sk))
        } catch {
            throw KeysError.from(error, what: "the account private key")
        }
    }

    static func aad(_ accountID: SeclabID) -> [UInt8] { concat(Labels.bytes(Labels.accountKey), accountID.bytes) }
}

/// Public-key fingerprints for out-of-band checks (spec §5).
public enum Fingerprint {
    /// The first 20 bytes of `H("seclab-fp1" ‖ pk)` in base32, groups of 4 characters.
    public static func of(_ publicKey: X25519PublicKey) -> String {
        let digest = SHA256.hash(Labels.bytes(Labels.fingerprint) + publicKey.bytes)
        let encoded = Array(Base32.encode(digest.prefix(20)))
        var groups = [String]()
        var index = 0
        while index < encoded.count {
            groups.append(String(encoded[index..<min(index + 4, encoded.count)]))
            index += 4
        }
        return groups.joined(separator: "-")
    }

    /// Compare a fingerprint a person typed (case, spaces and dashes ignored) with a key's.
    public static func matches(_ typed: String, _ publicKey: X25519PublicKey) -> Bool {
        func fold(_ s: String) -> String {
            String(s.uppercased().unicodeScalars.filter { $0 != "-" && $0 != " " })
        }
        return constantTimeEquals(Array(fold(typed).utf8), Array(fold(of(publicKey)).utf8))
    }
}

/// Public keys travel as `b64u(pk)` (spec §5).
extension X25519PublicKey {
    /// The `b64u` text form.
    public var text: String { Base64URL.encode(bytes) }

    /// Parse the `b64u` text form strictly.
    public init(text: some StringProtocol, what: String = "public key") throws(KeysError) {
        do {
            try self.init(try Base64URL.decode(text, count: 32, what: what))
        } catch let error as DecodingError {
            throw .malformed(error.message)
        } catch {
            throw .malformed("\(what): \(error)")
        }
    }
}
