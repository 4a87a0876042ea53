import SeclabPrimitives
import Testing
@_spi(SeclabTesting) import SeclabHPKE

/// Behaviour of the HPKE single-shot API (spec §1, §6.1) and of its test-path contexts.
@Suite struct HPKETests {
    let recipient = X25519PrivateKey.random()
    let sender = X25519PrivateKey.random()
    let info = Array("seclab/v1/vault-key".utf8)
    let aad = Array(repeating: UInt8(7), count: 48)

    // MARK: round trips

    @Test(arguments: [0, 1, 32, 1000])
    func authRoundTrip(length: Int) throws {
        let pt = SecretBytes.random(count: length)
        let sealed = try HPKE.sealAuth(pt, recipient: recipient.publicKey, sender: sender, info: info, aad: aad)
        #expect(sealed.enc.count == 32)
        #expect(sealed.ciphertext.count == length + 16)
        let opened = try HPKE.openAuth(enc: sealed.enc, ciphertext: sealed.ciphertext, recipient: recipient,
                                       sender: sender.publicKey, info: info, aad: aad)
        #expect(opened == pt)
    }

    @Test(arguments: [0, 1, 32, 1000])
    func baseRoundTrip(length: Int) throws {
        let pt = SecretBytes.random(count: length)
        let sealed = try HPKE.sealBase(pt, recipient: recipient.publicKey, info: info, aad: aad)
        #expect(sealed.enc.count == 32)
        #expect(sealed.ciphertext.count == length + 16)
        let opened = try HPKE.openBase(enc: sealed.enc, ciphertext: sealed.ciphertext, recipient: recipient,
                                       info: info, aad: aad)
        #expect(opened == pt)
    }

    /// The owner's own slot: the same account is sender and recipient (spec §6.1).
    @Test func authRoundTripToSelf() throws {
        let pt = SecretBytes.random(count: 32)
        let sealed = try HPKE.sealAuth(pt, recipient: sender.publicKey, sender: sender, info: info, aad: aad)
        let opened = try HPKE.openAuth(enc: sealed.enc, ciphertext: sealed.ciphertext, recipient: sender,
                                       sender: sender.publicKey, info: info, aad: aad)
        #expect(opened == pt)
    }

    /// Each seal draws a fresh ephemeral key, so sealing the same input twice gives different
    /// enc and ciphertext (RFC 9180 §9.7.1: never reuse an ephemeral key).
    @Test func sealsUseFreshEphemeralKeys() throws {
        let pt = SecretBytes.random(count: 32)
        let a = try HPKE.sealAuth(pt, recipient: recipient.publicKey, sender: sender, info: info, aad: aad)
        let b = try HPKE.sealAuth(pt, recipient: recipient.publicKey, sender: sender, info: info, aad: aad)
        #expect(a.enc != b.enc)
        #expect(a.ciphertext != b.ciphertext)
        let c = try HPKE.sealBase(pt, recipient: recipient.publicKey, info: info, aad: aad)
        let d = try HPKE.sealBase(pt, recipient: recipient.publicKey, info: info, aad: aad)
        #expect(c.enc != d.enc)
        #expect(c.ciphertext != d.ciphertext)
    }

    /// The test path is deterministic: the same ephemeral key gives the same output.
    @Test func chosenEphemeralIsDeterministic() throws {
        let pt = SecretBytes.random(count: 32), ephemeral = X25519PrivateKey.random()
        let a = try HPKE.sealAuth(pt, recipient: recipient.publicKey, sender: sender, info: info, aad: aad, ephemeral: ephemeral)
        let b = try HPKE.sealAuth(pt, recipient: recipient.publicKey, sender: sender, info: info, aad: aad, ephemeral: ephemeral)
        #expect(a.enc == ephemeral.publicKey.bytes)
        #expect(a.enc == b.enc && a.ciphertext == b.ciphertext)
    }

    // MARK: authentication failures

    @Test func authOpenRejectsWrongKeysAndContext() throws {
        let pt = SecretBytes.random(count: 32)
        let sealed = try HPKE.sealAuth(pt, recipient: recipient.publicKey, sender: sender, info: info, aad: aad)
        let failure = CryptoError.authenticationFailed(what: "HPKE ciphertext")
        let other = X25519PrivateKey.random()
        #expect(throws: failure) {
            try HPKE.openAuth(enc: sealed.enc, ciphertext: sealed.ciphertext, recipient: other,
                              sender: sender.publicKey, info: info, aad: aad)
        }
        #expect(throws: failure) {
            try HPKE.openAuth(enc: sealed.enc, ciphertext: sealed.ciphertext, recipient: recipient,
                              sender: other.publicKey, info: info, aad: aad)
        }
        #expect(throws: failure) {
            try HPKE.openAuth(enc: sealed.enc, ciphertext: sealed.ciphertext, recipient: recipient,
                              sender: sender.publicKey, info: Array("seclab/v1/machine-unwrap-key".utf8), aad: aad)
        }
        #expect(throws: failure) {
            try HPKE.openAuth(enc: sealed.enc, ciphertext: sealed.ciphertext, recipient: recipient,
                              sender: sender.publicKey, info: info, aad: aad.dropLast() + [8])
        }
    }

    /// The mode is bound into the key schedule: an auth wrap never opens as base and back.
    @Test func modesDoNotCrossOpen() throws {
        let pt = SecretBytes.random(count: 32)
        let failure = CryptoError.authenticationFailed(what: "HPKE ciphertext")
        let auth = try HPKE.sealAuth(pt, recipient: recipient.publicKey, sender: sender, info: info, aad: aad)
        #expect(throws: failure) {
            try HPKE.openBase(enc: auth.enc, ciphertext: auth.ciphertext, recipient: recipient, info: info, aad: aad)
        }
        let base = try HPKE.sealBase(pt, recipient: recipient.publicKey, info: info, aad: aad)
        #expect(throws: failure) {
            try HPKE.openAuth(enc: base.enc, ciphertext: base.ciphertext, recipient: recipient,
                              sender: sender.publicKey, info: info, aad: aad)
        }
    }

    @Test func openRejectsTampering() throws {
        let sealed = try HPKE.sealAuth(SecretBytes.random(count: 32), recipient: recipient.publicKey, sender: sender,
                                       info: info, aad: aad)
        for index in sealed.ciphertext.indices {
            var ct = sealed.ciphertext
            ct[index] ^= 0x40
            #expect(throws: CryptoError.authenticationFailed(what: "HPKE ciphertext")) {
                try HPKE.openAuth(enc: sealed.enc, ciphertext: ct, recipient: recipient,
                                  sender: sender.publicKey, info: info, aad: aad)
            }
        }
    }

    // MARK: shape errors and low-order keys

    /// spec §2: a wrong enc length or a ciphertext shorter than the tag is refused with its own
    /// error, before any DH. The low-order enc below proves the DH never ran.
    @Test func openChecksShapeBeforeDH() throws {
        let lowOrder = [UInt8](repeating: 0, count: 32)
        let tag = [UInt8](repeating: 0, count: 16)
        for enc in [[], [UInt8](repeating: 9, count: 31), [UInt8](repeating: 9, count: 33)] {
            #expect(throws: CryptoError.invalidLength(what: "HPKE enc", expected: 32, actual: enc.count)) {
                try HPKE.openAuth(enc: enc, ciphertext: tag, recipient: recipient, sender: sender.publicKey, info: info, aad: aad)
            }
            #expect(throws: CryptoError.invalidLength(what: "HPKE enc", expected: 32, actual: enc.count)) {
                try HPKE.openBase(enc: enc, ciphertext: tag, recipient: recipient, info: info, aad: aad)
            }
        }
        for count in [0, 1, 15] {
            let error = CryptoError.invalidInput("HPKE ciphertext: \(count) bytes is shorter than the 16-byte tag")
            #expect(throws: error) {
                try HPKE.openAuth(enc: lowOrder, ciphertext: Array(tag.prefix(count)), recipient: recipient,
                                  sender: sender.publicKey, info: info, aad: aad)
            }
            #expect(throws: error) {
                try HPKE.openBase(enc: lowOrder, ciphertext: Array(tag.prefix(count)), recipient: recipient, info: info, aad: aad)
            }
        }
    }

    /// RFC 9180 §7.1.4, spec §1: an all-zero X25519 result aborts on both sides, as the typed
    /// `zeroSharedSecret` error, whichever key is the low-order one.
    @Test func lowOrderKeysAbortWithZeroSharedSecret() throws {
        let lowOrder = try X25519PublicKey(Hex.decode("e0eb7a7c3b41b8ae1656e3faf19fc46ada098deb9c32b1fd866205165f49b800"))
        let pt = SecretBytes.random(count: 32)
        let ct = [UInt8](repeating: 0, count: 48)
        #expect(throws: CryptoError.zeroSharedSecret) {
            try HPKE.sealAuth(pt, recipient: lowOrder, sender: sender, info: info, aad: aad)
        }
        #expect(throws: CryptoError.zeroSharedSecret) {
            try HPKE.sealBase(pt, recipient: lowOrder, info: info, aad: aad)
        }
        #expect(throws: CryptoError.zeroSharedSecret) {
            try HPKE.openAuth(enc: lowOrder.bytes, ciphertext: ct, recipient: recipient, sender: sender.publicKey,
                              info: info, aad: aad)
        }
        #expect(throws: CryptoError.zeroSharedSecret) {
            try HPKE.openBase(enc: lowOrder.bytes, ciphertext: ct, recipient: recipient, info: info, aad: aad)
        }
        // A genuine wrap, opened against a low-order "sender" key.
        let sealed = try HPKE.sealAuth(pt, recipient: recipient.publicKey, sender: sender, info: info, aad: aad)
        #expect(throws: CryptoError.zeroSharedSecret) {
            try HPKE.openAuth(enc: sealed.enc, ciphertext: sealed.ciphertext, recipient: recipient, sender: lowOrder,
                              info: info, aad: aad)
        }
    }

    // MARK: contexts (test path)

    /// Sequence numbers advance per message, so equal plaintexts give different ciphertexts;
    /// a failed open does not advance the recipient, and messages must be opened in order.
    @Test func contextSequenceNumbers() throws {
        let ephemeral = X25519PrivateKey.random()
        var s = try HPKE.setupAuthSender(recipient: recipient.publicKey, sender: sender, info: info, ephemeral: ephemeral)
        var r = try HPKE.setupAuthRecipient(enc: s.enc, recipient: recipient, sender: sender.publicKey, info: info)
        let pt = SecretBytes.random(count: 20)
        let first = try s.seal(pt, aad: aad)
        let second = try s.seal(pt, aad: aad)
        #expect(first != second)
        #expect(s.sequenceNumber == 2)

        #expect(throws: CryptoError.authenticationFailed(what: "HPKE ciphertext")) { try r.open(second, aad: aad) }
        #expect(r.sequenceNumber == 0)
        #expect(try r.open(first, aad: aad) == pt)
        #expect(try r.open(second, aad: aad) == pt)
        #expect(r.sequenceNumber == 2)
        #expect(r.nextNonce == s.nextNonce)
    }

    @Test func exportsAgreeAndAreBounded() throws {
        let s = try HPKE.setupBaseSender(recipient: recipient.publicKey, info: info, ephemeral: .random())
        let r = try HPKE.setupBaseRecipient(enc: s.enc, recipient: recipient, info: info)
        let a = try s.export(exporterContext: [1, 2, 3], length: 64)
        #expect(a == (try r.export(exporterContext: [1, 2, 3], length: 64)))
        #expect(a != (try r.export(exporterContext: [1, 2, 4], length: 64)))
        #expect(try s.export(exporterContext: [], length: 0).count == 0)
        #expect(try s.export(exporterContext: [], length: 255 * 32).count == 255 * 32)
        #expect(throws: CryptoError.outputTooLong(what: "HPKE LabeledExpand", maximum: 255 * 32, requested: 255 * 32 + 1)) {
            try s.export(exporterContext: [], length: 255 * 32 + 1)
        }
    }

    @Test func deriveKeyPairRejectsShortIKM() {
        #expect(throws: CryptoError.self) { try HPKE.KEM.deriveKeyPair(ikm: SecretBytes.random(count: 31)) }
    }
}
