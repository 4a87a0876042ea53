public import SeclabPrimitives

extension HPKE {
    /// The sender's encryption context (RFC 9180 §5.2, `ContextS`). Test path only.
    ///
    /// Why `~Copyable`: the nonce of each message is `base_nonce XOR seq`; a copy of a context
    /// would restart from the same sequence number and reuse a nonce under the same key, which
    /// breaks ChaCha20-Poly1305. A noncopyable value makes that a compile-time error.
    @_spi(SeclabTesting)
    public struct SenderContext: ~Copyable, Sendable {
        /// The encapsulated key to send with the ciphertexts (Nenc = 32 bytes).
        public let enc: [UInt8]
        /// The key schedule values.
        public let schedule: KeySchedule
        /// The sequence number of the next message.
        public private(set) var sequenceNumber: UInt64 = 0

        init(enc: [UInt8], schedule: KeySchedule) {
            self.enc = enc
            self.schedule = schedule
        }

        /// The nonce the next `seal` will use.
        public var nextNonce: [UInt8] { schedule.nonce(sequenceNumber: sequenceNumber) }

        /// `ContextS.Seal(aad, pt)` (RFC 9180 §5.2): encrypt under the next nonce, then advance.
        public mutating func seal(_ plaintext: SecretBytes, aad: [UInt8]) throws(CryptoError) -> [UInt8] {
            try checkMessageLimit(sequenceNumber)
            let nonce = nextNonce
            let key = schedule.key
            // `withUnsafeBytes` rethrows untyped errors, so the typed error travels in a Result.
            let ciphertext = try plaintext.withUnsafeBytes { bytes in
                Result { () throws(CryptoError) in try ChaCha20Poly1305.seal(bytes, key: key, nonce: nonce, aad: aad) }
            }.get()
            sequenceNumber += 1
            return ciphertext
        }

        /// `Context.Export(exporter_context, L)` (RFC 9180 §5.3).
        public func export(exporterContext: [UInt8], length: Int) throws(CryptoError) -> SecretBytes {
            try schedule.export(exporterContext: exporterContext, length: length)
        }
    }

    /// The recipient's decryption context (RFC 9180 §5.2, `ContextR`). Test path only.
    ///
    /// `~Copyable` for the same reason as `SenderContext`: one sequence per context.
    @_spi(SeclabTesting)
    public struct RecipientContext: ~Copyable, Sendable {
        /// The key schedule values.
        public let schedule: KeySchedule
        /// The sequence number of the next message.
        public private(set) var sequenceNumber: UInt64 = 0

        init(schedule: KeySchedule) {
            self.schedule = schedule
        }

        /// The nonce the next `open` will use.
        public var nextNonce: [UInt8] { schedule.nonce(sequenceNumber: sequenceNumber) }

        /// `ContextR.Open(aad, ct)` (RFC 9180 §5.2): decrypt under the next nonce; advance
        /// only on success, as the RFC requires, so a forged message does not desynchronise.
        public mutating func open(_ ciphertext: [UInt8], aad: [UInt8]) throws(CryptoError) -> SecretBytes {
            try checkMessageLimit(sequenceNumber)
            let plaintext = try ChaCha20Poly1305.open(ciphertext, key: schedule.key, nonce: nextNonce, aad: aad,
                                                      what: HPKE.ciphertextName)
            sequenceNumber += 1
            return plaintext
        }

        /// `Context.Export(exporter_context, L)` (RFC 9180 §5.3).
        public func export(exporterContext: [UInt8], length: Int) throws(CryptoError) -> SecretBytes {
            try schedule.export(exporterContext: exporterContext, length: length)
        }
    }
}

/// RFC 9180 §5.2 `IncrementSeq` raises `MessageLimitReachedError` rather than let `seq`
/// wrap, because a wrapped sequence number reuses a nonce. Our counter is 64-bit (below the
/// RFC's 96-bit limit), so its last value is never used; no real context gets near it.
private func checkMessageLimit(_ sequenceNumber: UInt64) throws(CryptoError) {
    guard sequenceNumber < UInt64.max else {
        throw .invalidInput("HPKE context: message limit reached (RFC 9180 §5.2)")
    }
}
