import SeclabPrimitives
import Testing
@_spi(SeclabTesting) import SeclabHPKE

/// RFC 9180 known-answer vectors for our suite, DHKEM(X25519, HKDF-SHA256) / HKDF-SHA256 /
/// ChaCha20-Poly1305 (spec §1), in mode_base and mode_auth, plus the RFC's MUST-fail cases.
@Suite struct HPKEVectorTests {
    // MARK: key derivation and KEM

    @Test(arguments: HPKEVectorSet.allCases)
    func deriveKeyPairVector(_ set: HPKEVectorSet) throws {
        let v = try set.entry()
        for role in set.roles {
            let sk = try HPKE.KEM.deriveKeyPair(ikm: SecretBytes(copying: v.hex("ikm\(role)")))
            #expect(sk.secretBytes.unprotectedArray() == (try v.hex("sk\(role)m")), "sk\(role)m")
            #expect(sk.publicKey.bytes == (try v.hex("pk\(role)m")), "pk\(role)m")
        }
    }

    @Test(arguments: HPKEVectorSet.allCases)
    func encapAndDecapVector(_ set: HPKEVectorSet) throws {
        let v = try set.entry()
        let keys = try HPKEVectorKeys(v)
        let encapsulated = switch set {
        case .base: try HPKE.KEM.encap(recipient: keys.recipient.publicKey, ephemeral: keys.ephemeral)
        case .auth: try HPKE.KEM.authEncap(recipient: keys.recipient.publicKey, sender: try keys.requireSender(),
                                           ephemeral: keys.ephemeral)
        }
        #expect(encapsulated.enc == (try v.hex("enc")))
        #expect(encapsulated.sharedSecret.unprotectedArray() == (try v.hex("shared_secret")))

        let decapsulated = switch set {
        case .base: try HPKE.KEM.decap(enc: v.hex("enc"), recipient: keys.recipient)
        case .auth: try HPKE.KEM.authDecap(enc: v.hex("enc"), recipient: keys.recipient,
                                           sender: try keys.requireSender().publicKey)
        }
        #expect(decapsulated.unprotectedArray() == (try v.hex("shared_secret")))
    }

    @Test(arguments: HPKEVectorSet.allCases)
    func keyScheduleVector(_ set: HPKEVectorSet) throws {
        let v = try set.entry()
        let schedule = try HPKE.KeySchedule(mode: set.mode, sharedSecret: SecretBytes(copying: v.hex("shared_secret")),
                                            info: v.hex("info"))
        try expectSchedule(schedule, v, "KeySchedule")

        // The same values must come out of the full setup on both sides.
        let keys = try HPKEVectorKeys(v)
        let sender = try keys.setupSender(set, info: v.hex("info"))
        let recipient = try keys.setupRecipient(set, enc: v.hex("enc"), info: v.hex("info"))
        #expect(sender.enc == (try v.hex("enc")))
        try expectSchedule(sender.schedule, v, "sender context")
        try expectSchedule(recipient.schedule, v, "recipient context")
    }

    /// All 257 encryptions (sequence numbers 0…256), sealed by one sender context and opened
    /// by one recipient context, in order: this exercises `base_nonce XOR seq` past one byte.
    @Test(arguments: HPKEVectorSet.allCases)
    func encryptionsVector(_ set: HPKEVectorSet) throws {
        let v = try set.entry()
        let keys = try HPKEVectorKeys(v)
        var sender = try keys.setupSender(set, info: v.hex("info"))
        var recipient = try keys.setupRecipient(set, enc: v.hex("enc"), info: v.hex("info"))
        let encryptions = try v.objects("encryptions")
        #expect(encryptions.count == 257)
        for (seq, e) in encryptions.enumerated() {
            #expect(sender.sequenceNumber == UInt64(seq) && recipient.sequenceNumber == UInt64(seq))
            #expect(sender.nextNonce == (try e.hex("nonce")), "nonce of seq \(seq)")
            #expect(recipient.nextNonce == (try e.hex("nonce")), "nonce of seq \(seq)")
            let ct = try sender.seal(SecretBytes(copying: e.hex("pt")), aad: e.hex("aad"))
            #expect(ct == (try e.hex("ct")), "ct of seq \(seq)")
            let pt = try recipient.open(e.hex("ct"), aad: e.hex("aad"))
            #expect(pt.unprotectedArray() == (try e.hex("pt")), "pt of seq \(seq)")
        }
    }

    @Test(arguments: HPKEVectorSet.allCases)
    func exportsVector(_ set: HPKEVectorSet) throws {
        let v = try set.entry()
        let keys = try HPKEVectorKeys(v)
        let sender = try keys.setupSender(set, info: v.hex("info"))
        let recipient = try keys.setupRecipient(set, enc: v.hex("enc"), info: v.hex("info"))
        let exports = try v.objects("exports")
        #expect(exports.count == 3)
        for x in exports {
            let context = try x.hex("exporter_context"), length = try x.int("L"), expected = try x.hex("exported_value")
            #expect(try sender.export(exporterContext: context, length: length).unprotectedArray() == expected)
            #expect(try recipient.export(exporterContext: context, length: length).unprotectedArray() == expected)
        }
    }

    /// The single-shot API (RFC 9180 §6.1) is encryption 0 of the vectors.
    @Test(arguments: HPKEVectorSet.allCases)
    func singleShotVector(_ set: HPKEVectorSet) throws {
        let v = try set.entry()
        let keys = try HPKEVectorKeys(v)
        let e = try #require(try v.objects("encryptions").first)
        let pt = try SecretBytes(copying: e.hex("pt")), info = try v.hex("info"), aad = try e.hex("aad")
        let sealed = switch set {
        case .base: try HPKE.sealBase(pt, recipient: keys.recipient.publicKey, info: info, aad: aad, ephemeral: keys.ephemeral)
        case .auth: try HPKE.sealAuth(pt, recipient: keys.recipient.publicKey, sender: try keys.requireSender(),
                                      info: info, aad: aad, ephemeral: keys.ephemeral)
        }
        #expect(sealed.enc == (try v.hex("enc")))
        #expect(sealed.ciphertext == (try e.hex("ct")))
        let opened = try keys.open(set, enc: v.hex("enc"), ciphertext: e.hex("ct"), info: info, aad: aad)
        #expect(opened == pt)
    }

    // MARK: must-fail cases

    /// mode_auth binds the sender (spec §1, §6.1): the vector's wrap does not open with any
    /// other sender public key, including the recipient's own.
    @Test func wrongSenderVector() throws {
        let v = try HPKEVectorSet.auth.entry()
        let keys = try HPKEVectorKeys(v)
        let e = try #require(try v.objects("encryptions").first)
        for wrongSender in [keys.recipient.publicKey, keys.ephemeral.publicKey, X25519PrivateKey.random().publicKey] {
            #expect(throws: CryptoError.authenticationFailed(what: HPKE.ciphertextName)) {
                try HPKE.openAuth(enc: v.hex("enc"), ciphertext: e.hex("ct"), recipient: keys.recipient,
                                  sender: wrongSender, info: v.hex("info"), aad: e.hex("aad"))
            }
        }
        // A base-mode open of an auth-mode wrap fails too: the mode is in the key schedule.
        #expect(throws: CryptoError.authenticationFailed(what: HPKE.ciphertextName)) {
            try HPKE.openBase(enc: v.hex("enc"), ciphertext: e.hex("ct"), recipient: keys.recipient,
                              info: v.hex("info"), aad: e.hex("aad"))
        }
    }

    /// Flipping any one bit of enc or ct (in a few positions) makes the open fail.
    @Test(arguments: HPKEVectorSet.allCases)
    func tamperedCiphertextVector(_ set: HPKEVectorSet) throws {
        let v = try set.entry()
        let keys = try HPKEVectorKeys(v)
        let e = try #require(try v.objects("encryptions").first)
        let enc = try v.hex("enc"), ct = try e.hex("ct"), info = try v.hex("info"), aad = try e.hex("aad")
        for index in [0, ct.count / 2, ct.count - 17, ct.count - 1] {
            var tampered = ct
            tampered[index] ^= 0x01
            #expect(throws: CryptoError.authenticationFailed(what: HPKE.ciphertextName)) {
                try keys.open(set, enc: enc, ciphertext: tampered, info: info, aad: aad)
            }
        }
        #expect(throws: CryptoError.authenticationFailed(what: HPKE.ciphertextName)) {
            try keys.open(set, enc: enc, ciphertext: Array(ct.dropLast()), info: info, aad: aad)
        }
        var tamperedEnc = enc
        tamperedEnc[5] ^= 0x80
        #expect(throws: CryptoError.authenticationFailed(what: HPKE.ciphertextName)) {
            try keys.open(set, enc: tamperedEnc, ciphertext: ct, info: info, aad: aad)
        }
    }

    /// `info` and `aad` are both bound: changing either fails the open.
    @Test(arguments: HPKEVectorSet.allCases)
    func wrongAADAndInfoVector(_ set: HPKEVectorSet) throws {
        let v = try set.entry()
        let keys = try HPKEVectorKeys(v)
        let e = try #require(try v.objects("encryptions").first)
        let enc = try v.hex("enc"), ct = try e.hex("ct"), info = try v.hex("info"), aad = try e.hex("aad")
        for (wrongInfo, wrongAAD) in [(info + [0], aad), ([], aad), (info, aad + [0]), (info, []), (aad, info)] {
            #expect(throws: CryptoError.authenticationFailed(what: HPKE.ciphertextName)) {
                try keys.open(set, enc: enc, ciphertext: ct, info: wrongInfo, aad: wrongAAD)
            }
        }
        // Encryption 1 opened as if it were encryption 0 (the single-shot call uses seq 0).
        let e1 = try v.objects("encryptions")[1]
        #expect(throws: CryptoError.authenticationFailed(what: HPKE.ciphertextName)) {
            try keys.open(set, enc: enc, ciphertext: e1.hex("ct"), info: info, aad: e1.hex("aad"))
        }
    }

    /// RFC 9180 §7.1.4, spec §1: an all-zero DH result aborts. Every low-order public key of
    /// Wycheproof's `ZeroSharedSecret` cases, used as enc (and as the sender key in auth
    /// mode), must give `CryptoError.zeroSharedSecret`, never an authentication failure.
    @Test(arguments: HPKEVectorSet.allCases)
    func lowOrderEncVector(_ set: HPKEVectorSet) throws {
        let v = try set.entry()
        let keys = try HPKEVectorKeys(v)
        let e = try #require(try v.objects("encryptions").first)
        let points = try lowOrderPoints()
        #expect(points.count >= 12, "expected the Wycheproof low-order points, found \(points.count)")
        for point in points {
            #expect(throws: CryptoError.zeroSharedSecret) {
                try keys.open(set, enc: point, ciphertext: e.hex("ct"), info: v.hex("info"), aad: e.hex("aad"))
            }
            if set == .auth {
                #expect(throws: CryptoError.zeroSharedSecret) {
                    try HPKE.openAuth(enc: v.hex("enc"), ciphertext: e.hex("ct"), recipient: keys.recipient,
                                      sender: X25519PublicKey(point), info: v.hex("info"), aad: e.hex("aad"))
                }
            }
        }
    }

    // MARK: helpers

    private func expectSchedule(_ schedule: HPKE.KeySchedule, _ v: [String: Any], _ what: String) throws {
        #expect(schedule.keyScheduleContext == (try v.hex("key_schedule_context")), "\(what): key_schedule_context")
        #expect(schedule.key.secretBytes.unprotectedArray() == (try v.hex("key")), "\(what): key")
        #expect(schedule.baseNonce == (try v.hex("base_nonce")), "\(what): base_nonce")
        #expect(schedule.exporterSecret.unprotectedArray() == (try v.hex("exporter_secret")), "\(what): exporter_secret")
    }

    /// The distinct public keys of Wycheproof's X25519 cases flagged `ZeroSharedSecret`.
    private func lowOrderPoints() throws -> [[UInt8]] {
        let root = try #require(try VectorFiles.json("wycheproof/x25519_test.json") as? [String: Any])
        var points: [[UInt8]] = []
        for group in try root.objects("testGroups") {
            for test in try group.objects("tests") where (test["flags"] as? [String])?.contains("ZeroSharedSecret") == true {
                let point = try test.hex("public")
                if !points.contains(point) { points.append(point) }
            }
        }
        return points
    }
}

/// The two RFC 9180 vector entries in our suite.
enum HPKEVectorSet: String, CaseIterable, Sendable {
    case base, auth

    var mode: HPKE.Mode { self == .base ? .base : .auth }
    /// Which key pairs the entry derives from `ikm…`: Recipient, Ephemeral and, in auth mode, Sender.
    var roles: [String] { self == .base ? ["R", "E"] : ["R", "E", "S"] }

    /// The one entry with mode, kem_id 32, kdf_id 1 and aead_id 3.
    func entry() throws -> [String: Any] {
        let file = self == .base ? "hpke/rfc9180_base_x25519_sha256_chacha_aes128.json"
                                 : "hpke/rfc9180_auth_x25519_sha256_chacha.json"
        guard let all = try VectorFiles.json(file) as? [[String: Any]] else {
            throw VectorError(description: "\(file): the top level is not a list of objects")
        }
        var ours: [[String: Any]] = []
        for candidate in all {
            // aead_id 1 (AES-128-GCM) is deliberately skipped: spec §1 fixes AEAD 0x0003
            // (ChaCha20-Poly1305), and this target implements no other AEAD.
            guard try candidate.int("aead_id") == 3 else { continue }
            guard try candidate.int("mode") == Int(mode.rawValue), try candidate.int("kem_id") == 32,
                  try candidate.int("kdf_id") == 1 else {
                throw VectorError(description: "\(file): an aead_id 3 entry outside our suite or mode")
            }
            ours.append(candidate)
        }
        guard ours.count == 1 else { throw VectorError(description: "\(file): \(ours.count) entries in our suite, expected 1") }
        return ours[0]
    }
}

/// The key pairs of one vector entry, derived from its `ikm…` fields.
struct HPKEVectorKeys {
    let recipient: X25519PrivateKey
    let ephemeral: X25519PrivateKey
    let sender: X25519PrivateKey?

    init(_ v: [String: Any]) throws {
        recipient = try HPKE.KEM.deriveKeyPair(ikm: SecretBytes(copying: v.hex("ikmR")))
        ephemeral = try HPKE.KEM.deriveKeyPair(ikm: SecretBytes(copying: v.hex("ikmE")))
        sender = v["ikmS"] == nil ? nil : try HPKE.KEM.deriveKeyPair(ikm: SecretBytes(copying: v.hex("ikmS")))
    }

    func requireSender() throws -> X25519PrivateKey {
        guard let sender else { throw VectorError(description: "auth-mode entry without ikmS") }
        return sender
    }

    func setupSender(_ set: HPKEVectorSet, info: [UInt8]) throws -> HPKE.SenderContext {
        switch set {
        case .base: try HPKE.setupBaseSender(recipient: recipient.publicKey, info: info, ephemeral: ephemeral)
        case .auth: try HPKE.setupAuthSender(recipient: recipient.publicKey, sender: requireSender(), info: info,
                                             ephemeral: ephemeral)
        }
    }

    func setupRecipient(_ set: HPKEVectorSet, enc: [UInt8], info: [UInt8]) throws -> HPKE.RecipientContext {
        switch set {
        case .base: try HPKE.setupBaseRecipient(enc: enc, recipient: recipient, info: info)
        case .auth: try HPKE.setupAuthRecipient(enc: enc, recipient: recipient, sender: requireSender().publicKey, info: info)
        }
    }

    /// The single-shot open of the entry's mode, with the entry's own keys.
    func open(_ set: HPKEVectorSet, enc: [UInt8], ciphertext: [UInt8], info: [UInt8], aad: [UInt8]) throws -> SecretBytes {
        switch set {
        case .base: try HPKE.openBase(enc: enc, ciphertext: ciphertext, recipient: recipient, info: info, aad: aad)
        case .auth: try HPKE.openAuth(enc: enc, ciphertext: ciphertext, recipient: recipient,
                                      sender: requireSender().publicKey, info: info, aad: aad)
        }
    }
}
