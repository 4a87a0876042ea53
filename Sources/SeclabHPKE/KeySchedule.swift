public import SeclabPrimitives

extension HPKE {
    /// The HPKE modes seclab implements (RFC 9180 §5). Test path only.
    ///
    /// Why no PSK modes: spec §1 uses mode_auth for every wrap (and base mode exists for the
    /// RFC vectors and as a building block); mode_psk and mode_auth_psk are never needed, so
    /// `psk` and `psk_id` are always the RFC's default empty strings.
    @_spi(SeclabTesting)
    public enum Mode: UInt8, Sendable {
        /// mode_base (0x00): anyone may have sent the message.
        case base = 0x00
        /// mode_auth (0x02): the sender's static key is bound in (spec §1, §6.1).
        case auth = 0x02
    }

    /// The values `KeySchedule` derives from a KEM shared secret (RFC 9180 §5.1). Test path only.
    @_spi(SeclabTesting)
    public struct KeySchedule: Sendable {
        /// The mode these values were derived for.
        public let mode: Mode
        /// `key_schedule_context = mode ‖ psk_id_hash ‖ info_hash` (public: hashes of public inputs).
        public let keyScheduleContext: [UInt8]
        /// The AEAD key (Nk = 32 bytes).
        public let key: SymmetricKey
        /// The base nonce (Nn = 12 bytes). Kept as plain bytes: an AEAD nonce is not secret
        /// (RFC 8439 §2.8), only unique per key, which the sequence number guarantees.
        public let baseNonce: [UInt8]
        /// The exporter secret (Nh = 32 bytes).
        public let exporterSecret: SecretBytes

        /// `KeySchedule(mode, shared_secret, info, psk = "", psk_id = "")` (RFC 9180 §5.1).
        public init(mode: Mode, sharedSecret: SecretBytes, info: [UInt8]) throws(CryptoError) {
            let kdf = LabeledKDF.hpke
            // Why empty psk and psk_id: RFC 9180 §5.1 VerifyPSKInputs requires both to be the
            // default (empty) in base and auth modes.
            let pskIDHash = kdf.extract(salt: nil, label: HPKELabel.pskIDHash, publicIKM: [])
            let infoHash = kdf.extract(salt: nil, label: HPKELabel.infoHash, publicIKM: info)
            // Both hashes are of public inputs, so they may leave their protected buffers.
            let context = [mode.rawValue] + pskIDHash.unprotectedArray() + infoHash.unprotectedArray()
            // secret = LabeledExtract(shared_secret, "secret", psk) with psk = "".
            let secret = kdf.extract(salt: sharedSecret, label: HPKELabel.secret, ikm: [])

            self.mode = mode
            keyScheduleContext = context
            key = try SymmetricKey(kdf.expand(prk: secret, label: HPKELabel.key, info: context, length: Suite.keyCount))
            baseNonce = try kdf.expand(prk: secret, label: HPKELabel.baseNonce, info: context,
                                       length: Suite.nonceCount).unprotectedArray()
            exporterSecret = try kdf.expand(prk: secret, label: HPKELabel.exporterSecret, info: context,
                                            length: Suite.hashCount)
        }

        /// `ComputeNonce(seq) = base_nonce XOR I2OSP(seq, Nn)` (RFC 9180 §5.2).
        public func nonce(sequenceNumber: UInt64) -> [UInt8] {
            var nonce = baseNonce
            var seq = sequenceNumber
            // I2OSP is big-endian: the low byte of seq meets the last byte of the nonce.
            for index in stride(from: Suite.nonceCount - 1, through: Suite.nonceCount - 8, by: -1) {
                nonce[index] ^= UInt8(truncatingIfNeeded: seq)
                seq >>= 8
            }
            return nonce
        }

        /// `Context.Export(exporter_context, L) = LabeledExpand(exporter_secret, "sec", exporter_context, L)`
        /// (RFC 9180 §5.3). At most 255·Nh bytes.
        public func export(exporterContext: [UInt8], length: Int) throws(CryptoError) -> SecretBytes {
            try LabeledKDF.hpke.expand(prk: exporterSecret, label: HPKELabel.export, info: exporterContext, length: length)
        }
    }
}
