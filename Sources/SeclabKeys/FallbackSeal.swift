import SeclabFormat
public import SeclabPrimitives

extension Labels {
    /// HKDF info and AAD prefix of the offline fallback file (spec §11 A2).
    public static let fallback = "seclab/v1/fallback"
}

/// The offline fallback file of `seclab-run --fallback` (spec §11 A2): per machine credential,
/// the last verified pull exactly as the server sent it, sealed under a key only that
/// credential's MK derives, with the time of the pull inside the seal.
///
/// ```
/// file   = "slfb1\n" ‖ record*
/// record = slot_id(16) ‖ u32be(len(sealed)) ‖ sealed
/// sealed = nonce(24) ‖ XChaCha20-Poly1305(key, nonce, aad, u64be(pulled_at_ms) ‖ body)
/// key    = HKDF-SHA256(IKM = MK, salt = slot_id, info = "seclab/v1/fallback", L = 32)
/// aad    = "seclab/v1/fallback" ‖ slot_id(16)
/// ```
public enum FallbackSeal {
    /// The file's first bytes.
    public static let magic: [UInt8] = Array("slfb1\n".utf8)
    /// The largest sealed record read (a pull of the largest vault fits many times over).
    public static let maxSealedBytes = 256 << 20

    /// One record as read from a file: whose it says it is, and its sealed bytes.
    public struct Record: Sendable {
        /// The slot id in the record's header (bound by the AAD and the key, so a record moved
        /// under another header does not open).
        public let slotID: [UInt8]
        /// `nonce ‖ ciphertext ‖ tag`.
        public let sealed: [UInt8]
        /// Memberwise.
        public init(slotID: [UInt8], sealed: [UInt8]) { self.slotID = slotID; self.sealed = sealed }
        /// The record's bytes in a file.
        public var bytes: [UInt8] {
            let count = UInt32(sealed.count)
            return slotID + [UInt8(count >> 24), UInt8(count >> 16 & 0xFF), UInt8(count >> 8 & 0xFF), UInt8(count & 0xFF)] + sealed
        }
    }

    /// What a record holds.
    public struct Contents: Sendable {
        /// When the pull was made, Unix milliseconds (the machine's clock).
        public let pulledAt: Int64
        /// The pull response body, byte for byte.
        public let body: [UInt8]
    }

    /// `HKDF-SHA256(MK, salt = slot_id, info = "seclab/v1/fallback", 32)`.
    ///
    /// Why a key of its own: the file sits on the machine's disk, beside the credential
    /// perhaps, so it must not be openable or forgeable without MK, and domain separation
    /// keeps this key from ever equalling `auth_secret` or `unwrap_key` (spec §6.2).
    public static func key(for credential: MachineCredential) -> SymmetricKey {
        try! SymmetricKey(HKDFSHA256.derive(ikm: credential.machineKey, salt: credential.slotID.bytes,
                                            info: Labels.bytes(Labels.fallback), length: 32))
    }

    /// `"seclab/v1/fallback" ‖ slot_id`.
    public static func aad(slotID: [UInt8]) -> [UInt8] { Labels.bytes(Labels.fallback) + slotID }

    /// `u64be(pulled_at) ‖ body`.
    public static func plaintext(pulledAt: Int64, body: [UInt8]) -> [UInt8] {
        let time = UInt64(bitPattern: pulledAt)
        return (0..<8).map { UInt8(time >> (56 - 8 * UInt64($0)) & 0xFF) } + body
    }

    /// Seal `body` (pulled at `pulledAt`) for `credential` under a fresh random nonce.
    public static func seal(body: [UInt8], pulledAt: Int64, credential: MachineCredential) -> Record {
        let plain = plaintext(pulledAt: pulledAt, body: body)
        let sealed = plain.withUnsafeBytes {
            XChaCha20Poly1305.seal($0, key: key(for: credential), aad: aad(slotID: credential.slotID.bytes))
        }
        return Record(slotID: credential.slotID.bytes, sealed: sealed.nonce + sealed.ciphertext)
    }

    /// Open `record` with `credential`: fails unless the record is this credential's and
    /// unmodified (any flipped byte, another slot's record, another MK: `decryptionFailed`).
    public static func open(_ record: Record, credential: MachineCredential) throws(KeysError) -> Contents {
        guard record.slotID == credential.slotID.bytes else {
            throw .decryptionFailed("the fallback file holds no pull for this credential's slot \(credential.slotID.text)")
        }
        guard record.sealed.count >= XChaCha20Poly1305.nonceCount + XChaCha20Poly1305.tagCount + 8 else {
            throw .malformed("the fallback record is truncated")
        }
        let nonce = Array(record.sealed[..<XChaCha20Poly1305.nonceCount])
        let ciphertext = Array(record.sealed[XChaCha20Poly1305.nonceCount...])
        let plain: [UInt8]
        do {
            plain = try XChaCha20Poly1305.open(ciphertext, key: key(for: credential), nonce: nonce, aad: aad(slotID: record.slotID),
                                               what: "fallback record").unprotectedArray()
        } catch {
            throw .decryptionFailed("the fallback file does not open under this credential: modified, or sealed by another credential")
        }
        let time = plain[..<8].reduce(UInt64(0)) { $0 << 8 | UInt64($1) }
        return Contents(pulledAt: Int64(bitPattern: time), body: Array(plain[8...]))
    }

    /// The bytes of a file holding `records`.
    public static func file(_ records: [Record]) -> [UInt8] {
        records.reduce(magic) { $0 + $1.bytes }
    }

    /// The records of a file, in order. Malformed framing is `malformed`.
    public static func records(in file: [UInt8]) throws(KeysError) -> [Record] {
        guard file.count >= magic.count, Array(file[..<magic.count]) == magic else {
            throw .malformed("not a seclab fallback file (it does not start with slfb1)")
        }
        var records = [Record]()
        var offset = magic.count
        while offset < file.count {
            guard file.count - offset >= 20 else { throw .malformed("the fallback file is truncated") }
            let slot = Array(file[offset..<(offset + 16)])
            let count = Int(file[(offset + 16)..<(offset + 20)].reduce(UInt32(0)) { $0 << 8 | UInt32($1) })
            offset += 20
            guard count <= maxSealedBytes, file.count - offset >= count else { throw .malformed("the fallback file is truncated") }
            records.append(Record(slotID: slot, sealed: Array(file[offset..<(offset + count)])))
            offset += count
        }
        return records
    }
}
