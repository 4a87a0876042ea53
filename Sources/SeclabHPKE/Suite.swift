import SeclabPrimitives

/// The one HPKE suite seclab uses (spec §1) and its sizes, with the identifiers and labels
/// of RFC 9180 holding the RFC's exact values.
///
/// Why one fixed suite and no negotiation: spec §1 fixes KEM 0x0020, KDF 0x0001 and
/// AEAD 0x0003, so there is nothing a peer or a server could downgrade.
enum Suite {
    /// KEM id 0x0020, DHKEM(X25519, HKDF-SHA256) (RFC 9180 §7.1).
    static let kemID: UInt16 = 0x0020
    /// KDF id 0x0001, HKDF-SHA256 (RFC 9180 §7.2).
    static let kdfID: UInt16 = 0x0001
    /// AEAD id 0x0003, ChaCha20Poly1305 (RFC 9180 §7.3).
    static let aeadID: UInt16 = 0x0003

    /// Nsecret: length of the KEM shared secret (RFC 9180 §7.1).
    static let sharedSecretCount = 32
    /// Nenc: length of an encapsulated key, a serialized X25519 public key (RFC 9180 §7.1).
    static let encCount = 32
    /// Nsk: length of a serialized X25519 private key (RFC 9180 §7.1).
    static let privateKeyCount = 32
    /// Nk: AEAD key length of ChaCha20Poly1305 (RFC 9180 §7.3).
    static let keyCount = 32
    /// Nn: AEAD nonce length of ChaCha20Poly1305 (RFC 9180 §7.3).
    static let nonceCount = 12
    /// Nt: AEAD tag length of ChaCha20Poly1305 (RFC 9180 §7.3).
    static let tagCount = 16
    /// Nh: output length of HKDF-SHA256's Extract (RFC 9180 §7.2).
    static let hashCount = 32

    /// `suite_id = "KEM" ‖ I2OSP(kem_id, 2)`, used inside the KEM (RFC 9180 §4.1).
    static let kemSuiteID: [UInt8] = Array("KEM".utf8) + i2osp2(kemID)
    /// `suite_id = "HPKE" ‖ I2OSP(kem_id, 2) ‖ I2OSP(kdf_id, 2) ‖ I2OSP(aead_id, 2)` (RFC 9180 §5.1).
    static let hpkeSuiteID: [UInt8] = Array("HPKE".utf8) + i2osp2(kemID) + i2osp2(kdfID) + i2osp2(aeadID)

    /// `I2OSP(n, 2)`: two bytes, big-endian (RFC 9180 §3).
    static func i2osp2(_ value: UInt16) -> [UInt8] {
        [UInt8(truncatingIfNeeded: value >> 8), UInt8(truncatingIfNeeded: value)]
    }
}

/// The labels of RFC 9180, each holding the RFC's exact text.
///
/// Why named constants: a label typo gives keys no other HPKE implementation derives; the
/// RFC vectors pin every one of them.
enum HPKELabel {
    /// The version prefix of every labelled input (RFC 9180 §4: `"HPKE-v1"`).
    static let version = Array("HPKE-v1".utf8)
    /// DeriveKeyPair (RFC 9180 §7.1.3).
    static let dkpPRK = "dkp_prk"
    /// DeriveKeyPair for X25519 (RFC 9180 §7.1.3).
    static let sk = "sk"
    /// ExtractAndExpand (RFC 9180 §4.1).
    static let eaePRK = "eae_prk"
    /// ExtractAndExpand (RFC 9180 §4.1).
    static let sharedSecret = "shared_secret"
    /// KeySchedule (RFC 9180 §5.1).
    static let pskIDHash = "psk_id_hash"
    /// KeySchedule (RFC 9180 §5.1).
    static let infoHash = "info_hash"
    /// KeySchedule (RFC 9180 §5.1).
    static let secret = "secret"
    /// KeySchedule (RFC 9180 §5.1).
    static let key = "key"
    /// KeySchedule (RFC 9180 §5.1).
    static let baseNonce = "base_nonce"
    /// KeySchedule (RFC 9180 §5.1).
    static let exporterSecret = "exp"
    /// Secret export (RFC 9180 §5.3).
    static let export = "sec"
}

/// `LabeledExtract` and `LabeledExpand` of RFC 9180 §4 for one `suite_id`.
///
/// Why labels with the suite id: RFC 9180 §4 binds every derivation to the protocol version,
/// the suite and its purpose, so no value derived for one purpose is valid for another.
struct LabeledKDF: Sendable {
    /// The `suite_id` bound into every label.
    let suiteID: [UInt8]

    /// The KDF of the KEM (`suite_id = "KEM" ‖ kem_id`).
    static let kem = LabeledKDF(suiteID: Suite.kemSuiteID)
    /// The KDF of the key schedule and export (`suite_id = "HPKE" ‖ kem_id ‖ kdf_id ‖ aead_id`).
    static let hpke = LabeledKDF(suiteID: Suite.hpkeSuiteID)

    /// `LabeledExtract(salt, label, ikm) = Extract(salt, "HPKE-v1" ‖ suite_id ‖ label ‖ ikm)`
    /// where `ikm` is the concatenation of `ikm` (RFC 9180 §4).
    ///
    /// The labelled IKM is fed into HMAC piece by piece, so secret IKM (a DH output) is never
    /// copied out of its protected buffer. An absent salt is Nh zero bytes (RFC 5869 §2.2).
    func extract(salt: SecretBytes?, label: String, ikm: [SecretBytes]) -> SecretBytes {
        // A fresh SecretBytes is zero-filled, which is exactly the default salt.
        let key = salt ?? SecretBytes(count: Suite.hashCount) { _ in }
        return key.withUnsafeBytes { keyBytes in
            SecretBytes(count: Suite.hashCount) { out in
                var context = HMACSHA256.Context(key: keyBytes)
                context.update(HPKELabel.version)
                context.update(suiteID)
                context.update(Array(label.utf8))
                for part in ikm {
                    part.withUnsafeBytes { context.update($0) }
                }
                context.finalize(into: out)
            }
        }
    }

    /// `LabeledExtract` over public input keying material (`info`, `psk_id`).
    func extract(salt: SecretBytes?, label: String, publicIKM: [UInt8]) -> SecretBytes {
        extract(salt: salt, label: label, ikm: [SecretBytes(copying: publicIKM)])
    }

    /// `LabeledExpand(prk, label, info, L) = Expand(prk, I2OSP(L, 2) ‖ "HPKE-v1" ‖ suite_id ‖ label ‖ info, L)`
    /// (RFC 9180 §4). `info` is public in every use of this suite (contexts and key ids).
    func expand(prk: SecretBytes, label: String, info: [UInt8], length: Int) throws(CryptoError) -> SecretBytes {
        // Why check before I2OSP: RFC 9180 §4 encodes L in two bytes and HKDF allows at most
        // 255·Nh bytes (RFC 5869 §2.3); a larger L must fail, never wrap around.
        guard length >= 0, length <= HKDFSHA256.maximumOutputLength else {
            throw .outputTooLong(what: "HPKE LabeledExpand", maximum: HKDFSHA256.maximumOutputLength, requested: length)
        }
        let labeledInfo = Suite.i2osp2(UInt16(length)) + HPKELabel.version + suiteID + Array(label.utf8) + info
        return try HKDFSHA256.expand(prk: prk, info: labeledInfo, length: length)
    }
}
