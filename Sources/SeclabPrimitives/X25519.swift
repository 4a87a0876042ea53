import CSodium

/// An X25519 private key (32 bytes, clamped by libsodium on use).
public struct X25519PrivateKey: SecretValue {
    /// Key length in bytes.
    public static let byteCount = 32
    /// The protected bytes.
    public let secretBytes: SecretBytes

    /// Wrap 32 secret bytes.
    public init(_ bytes: SecretBytes) throws(CryptoError) {
        guard bytes.count == Self.byteCount else {
            throw .invalidLength(what: "X25519 private key", expected: Self.byteCount, actual: bytes.count)
        }
        secretBytes = bytes
    }

    /// A fresh random private key.
    public static func random() -> X25519PrivateKey {
        try! X25519PrivateKey(.random(count: byteCount))
    }

    /// The matching public key (`crypto_scalarmult_base`).
    public var publicKey: X25519PublicKey {
        Sodium.ready()
        var out = [UInt8](repeating: 0, count: 32)
        secretBytes.withUnsafeBytes { sk in
            _ = crypto_scalarmult_base(&out, sk.bytePointer)
        }
        return X25519PublicKey(unchecked: out)
    }

    /// X25519(self, peer). Throws `zeroSharedSecret` for a low-order peer key.
    ///
    /// Why abort: RFC 9180 §7.1.4 and spec §1 require rejecting an all-zero DH output, and
    /// libsodium 1.0.18 signals it by returning -1 (31 Wycheproof cases).
    public func sharedSecret(with peer: X25519PublicKey) throws(CryptoError) -> SecretBytes {
        Sodium.ready()
        var rc: Int32 = 0
        let shared = secretBytes.withUnsafeBytes { sk in
            SecretBytes(count: 32) { out in
                rc = crypto_scalarmult(out.bytePointer,
                                       sk.bytePointer, peer.bytes)
            }
        }
        if rc != 0 { throw .zeroSharedSecret }
        return shared
    }
}

/// An X25519 public key (32 bytes). Public keys are not secret and print as hex.
public struct X25519PublicKey: Sendable, Hashable, CustomStringConvertible {
    /// Key length in bytes.
    public static let byteCount = 32
    /// The 32 key bytes.
    public let bytes: [UInt8]

    /// Wrap 32 bytes as a public key.
    public init(_ bytes: [UInt8]) throws(CryptoError) {
        guard bytes.count == Self.byteCount else {
            throw .invalidLength(what: "X25519 public key", expected: Self.byteCount, actual: bytes.count)
        }
        self.bytes = bytes
    }

    init(unchecked bytes: [UInt8]) { self.bytes = bytes }

    /// Hex of the key bytes.
    public var description: String { Hex.encode(bytes) }
}
