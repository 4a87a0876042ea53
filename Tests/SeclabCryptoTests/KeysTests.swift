import SeclabFormat
import SeclabKeys
import SeclabPassphrase
import SeclabPrimitives
import Testing

/// Behaviour of the key hierarchy beyond the known answers: round trips with fresh
/// randomness, wrong-key and wrong-context failures, and secret hygiene.
@Suite struct KeysTests {
    let context = VaultContext(ownerAccountID: .random(), vaultID: .random())

    @Test func secretsNeverPrint() throws {
        let secrets: [any CustomStringConvertible & CustomDebugStringConvertible] = [
            VaultKey.generate(), IndexKey.generate(), SecretKey.generate(), SymmetricKey.random(),
            try NormalizedPassphrase(normalizing: "hunter2 hunter2"),
        ]
        for secret in secrets {
            #expect(secret.description.contains("redacted"))
            #expect(String(reflecting: secret).contains("redacted"))
        }
        let credential = MachineCredential.generate()
        #expect(!"\(credential)".contains(credential.text.dropFirst(6).prefix(12)))
        let passphrase = try NormalizedPassphrase(normalizing: "correct horse")
        #expect(!"\(passphrase)".contains("correct"))
        #expect(!String(reflecting: passphrase).contains("correct"))
    }

    @Test func passphraseNormalization() throws {
        #expect(throws: KeysError.emptyPassphrase) { try NormalizedPassphrase(normalizing: "  \t\n ") }
        #expect(throws: KeysError.emptyPassphrase) { try NormalizedPassphrase(normalizing: "") }
        // NFKD: precomposed and decomposed input derive the same bytes.
        #expect(try NormalizedPassphrase(normalizing: "caf\u{E9}") == NormalizedPassphrase(normalizing: " cafe\u{301} "))
    }

    @Test func secretKeyTextRoundTripAndErrors() throws {
        let sk = SecretKey.generate()
        #expect(try SecretKey(text: sk.text) == sk)
        #expect(sk.text.hasPrefix("SK1-") && sk.text.count == 4 + 55 + 10)
        #expect(throws: KeysError.self) { try SecretKey(text: String(sk.text.dropLast(5))) }
        #expect(throws: KeysError.self) { try SecretKey(text: "SK2-" + sk.text.dropFirst(4)) }
        #expect(throws: KeysError.self) { try SecretKey(text: sk.text + "A") }
        #expect(throws: KeysError.self) { try SecretKey(text: sk.text.replacingFirst("-", "é")) }
    }

    @Test func accountPrivateKeyOpensOnlyWithItsAUKAndAccount() throws {
        let passphrase = try NormalizedPassphrase(normalizing: "a long passphrase")
        let sk = SecretKey.generate(), account = SeclabID.random(), salt = randomBytes(count: 16)
        let auk = try TwoSecretKeyDerivation.accountUnlockKey(passphrase: passphrase, secretKey: sk, accountID: account, saltAUK: salt, profile: .m1)
        let pair = AccountKeyPair.generate()
        let blob = pair.sealPrivateKey(auk: auk, accountID: account)
        #expect(try AccountKeyPair.open(blob, auk: auk, accountID: account).publicKey == pair.publicKey)
        let otherSK = try TwoSecretKeyDerivation.accountUnlockKey(passphrase: passphrase, secretKey: .generate(), accountID: account, saltAUK: salt, profile: .m1)
        #expect(throws: KeysError.self) { try AccountKeyPair.open(blob, auk: otherSK, accountID: account) }
        let otherPassphrase = try TwoSecretKeyDerivation.accountUnlockKey(passphrase: NormalizedPassphrase(normalizing: "a long passphrasE"),
                                                                          secretKey: sk, accountID: account, saltAUK: salt, profile: .m1)
        #expect(throws: KeysError.self) { try AccountKeyPair.open(blob, auk: otherPassphrase, accountID: account) }
        #expect(throws: KeysError.self) { try AccountKeyPair.open(blob, auk: auk, accountID: .random()) }
    }

    @Test func itemsRoundTripAndRefuseSwaps() throws {
        let cipher = ItemCipher(vaultKey: .generate(), indexKey: .generate(), context: context)
        let a = try cipher.seal(name: ItemName("API_TOKEN"), value: SecretBytes(copying: Array("s3cr3t".utf8)))
        let b = try cipher.seal(name: ItemName("DB_PASSWORD"), value: SecretBytes(copying: Array("hunter2".utf8)))
        let opened = try cipher.open(a)
        #expect(opened.name.string == "API_TOKEN" && opened.value == SecretBytes(copying: Array("s3cr3t".utf8)))
        // Swapped values, swapped names, and whole items under another ref are all refused.
        #expect(throws: KeysError.self) { try cipher.open(SealedItem(keyRef: a.keyRef, encName: a.encName, encValue: b.encValue)) }
        #expect(throws: KeysError.self) { try cipher.open(SealedItem(keyRef: a.keyRef, encName: b.encName, encValue: a.encValue)) }
        #expect(throws: KeysError.self) { try cipher.open(SealedItem(keyRef: b.keyRef, encName: a.encName, encValue: a.encValue)) }
        // Another vault's cipher (same keys, other ids) opens nothing.
        let elsewhere = ItemCipher(vaultKey: cipher.vaultKey, indexKey: cipher.indexKey,
                                   context: VaultContext(ownerAccountID: context.ownerAccountID, vaultID: .random()))
        #expect(throws: KeysError.self) { try elsewhere.open(a) }
        // Names: NFC, case kept, limits.
        #expect(try ItemName("cafe\u{301}").utf8 == Array("caf\u{E9}".utf8))
        #expect(try cipher.keyRef(for: ItemName("token")) != cipher.keyRef(for: ItemName("TOKEN")))
        #expect(throws: KeysError.self) { try ItemName(String(repeating: "x", count: 257)) }
        #expect(throws: KeysError.self) { try cipher.seal(name: ItemName("BIG"), value: .random(count: Limits.maxValueBytes + 1)) }
        #expect(try cipher.open(cipher.seal(name: ItemName("EMPTY"), value: .random(count: 0))).value.count == 0)
    }

    /// The fast path a pull opens items with (`openIfValid`, from the answer's text, no array
    /// per field) opens exactly what `open` opens, to the same name, value and ref, and
    /// nothing that `open` refuses; one scratch buffer serves items of any size in turn.
    @Test func openIfValidAgreesWithOpen() throws {
        let cipher = ItemCipher(vaultKey: .generate(), indexKey: .generate(), context: context)
        let elsewhere = ItemCipher(vaultKey: cipher.vaultKey, indexKey: cipher.indexKey,
                                   context: VaultContext(ownerAccountID: context.ownerAccountID, vaultID: .random()))
        let valid = try [("API_TOKEN", 6), ("EMPTY", 0), (String(repeating: "N", count: 256), 3), ("caf\u{E9}_\u{1F511}", 40),
                         ("BIG", 70_000), ("AFTER_BIG", 1)].map { name, size in
            try cipher.seal(name: ItemName(name), value: .random(count: size))
        }
        let (a, b) = (valid[0], valid[3])
        let damaged = [
            SealedItem(keyRef: a.keyRef, encName: a.encName, encValue: b.encValue),
            SealedItem(keyRef: a.keyRef, encName: b.encName, encValue: a.encValue),
            SealedItem(keyRef: b.keyRef, encName: a.encName, encValue: a.encValue),
            SealedItem(keyRef: a.keyRef, encName: a.encName, encValue: try AEADBlob(nonce: a.encValue.nonce, ciphertext: Array(a.encValue.ciphertext.dropLast()))),
        ]
        var scratch = [UInt8]()
        var opened = 0
        for (itemCipher, item) in valid.map({ (cipher, $0) }) + damaged.map({ (cipher, $0) }) + valid.map({ (elsewhere, $0) }) {
            let fast = Array(item.keyRef.text.utf8).withUnsafeBufferPointer { ref in
                Array(item.encName.text.utf8).withUnsafeBufferPointer { name in
                    Array(item.encValue.text.utf8).withUnsafeBufferPointer { value in
                        itemCipher.openIfValid(keyRef: ref, encName: name, encValue: value, scratch: &scratch)
                    }
                }
            }
            let reference = try? itemCipher.open(item)
            #expect((fast == nil) == (reference == nil))
            if let fast, let reference {
                #expect(fast.keyRef == reference.keyRef && fast.name == reference.name && fast.value == reference.value)
                opened += 1
            }
        }
        #expect(opened == valid.count)
    }

    @Test func machineCredentialDerivesAndWraps() throws {
        let credential = MachineCredential.generate()
        let parsed = try MachineCredential(text: credential.text)
        #expect(parsed.slotID == credential.slotID && parsed.machineKey == credential.machineKey)
        #expect(credential.authSecret.secretBytes != credential.unwrapKey.secretBytes)
        let vk = VaultKey.generate()
        let wrapped = MachineSlot.wrap(vk, with: credential.unwrapKey, in: context, slotID: credential.slotID)
        #expect(try MachineSlot.unwrap(wrapped, with: parsed.unwrapKey, in: context, slotID: credential.slotID) == vk)
        #expect(throws: KeysError.self) {
            try MachineSlot.unwrap(wrapped, with: MachineCredential.generate().unwrapKey, in: context, slotID: credential.slotID)
        }
        #expect(throws: KeysError.self) { try MachineSlot.unwrap(wrapped, with: credential.unwrapKey, in: context, slotID: .random()) }
        let owner = AccountKeyPair.generate()
        let escrow = try MachineSlot.escrow(credential.unwrapKey, owner: owner, in: context, slotID: credential.slotID)
        #expect(try MachineSlot.openEscrow(escrow, owner: owner, in: context, slotID: credential.slotID) == credential.unwrapKey)
        #expect(throws: KeysError.self) { try MachineSlot.openEscrow(escrow, owner: .generate(), in: context, slotID: credential.slotID) }
    }

    @Test func shareSlotsOpenOnlyFromTheirGranter() throws {
        let owner = AccountKeyPair.generate(), grantee = AccountKeyPair.generate(), server = AccountKeyPair.generate()
        let vk = VaultKey.generate(), slot = SeclabID.random()
        let wrap = try PublicKeySlot.wrap(vk, to: grantee.publicKey, from: owner.privateKey, in: context, slotID: slot)
        #expect(try PublicKeySlot.unwrap(wrap, recipient: grantee.privateKey, sender: owner.publicKey, in: context, slotID: slot) == vk)
        // A wrap planted by anyone else (e.g. a malicious server's own key) does not open as the owner's.
        let planted = try PublicKeySlot.wrap(.generate(), to: grantee.publicKey, from: server.privateKey, in: context, slotID: slot)
        #expect(throws: KeysError.self) {
            try PublicKeySlot.unwrap(planted, recipient: grantee.privateKey, sender: owner.publicKey, in: context, slotID: slot)
        }
        #expect(Fingerprint.matches(Fingerprint.of(owner.publicKey).lowercased(), owner.publicKey))
        #expect(!Fingerprint.matches(Fingerprint.of(owner.publicKey), grantee.publicKey))
    }

    @Test func blobParsersNameWhatWasWrong() throws {
        #expect(throws: FormatError.self) { try AEADBlob(text: "xc2.AAAA.AAAA") }
        #expect(throws: FormatError.self) { try HPKEWrap(text: "xc1.AAAA.AAAA") }
        do {
            _ = try AEADBlob(text: "xc1.AAAA.AAAA", what: "enc_value")
            Issue.record("accepted a 3-byte nonce")
        } catch {
            #expect(error.message.contains("enc_value") && error.message.contains("nonce"))
        }
        #expect(throws: FormatError.self) { try SeclabID(text: "91291BC5-C638-40EE-BBE1-F77CFFA53FF8") }
        #expect(throws: FormatError.self) { try SeclabID(text: "91291bc5c63840eebbe1f77cffa53ff8") }
        #expect(throws: FormatError.self) { try SessionToken(text: "short") }
        let token = SessionToken.generate()
        #expect(try SessionToken(text: token.text).hash == token.hash && token.hash.count == 32)
    }
}

extension String {
    fileprivate func replacingFirst(_ target: Character, _ replacement: Character) -> String {
        guard let index = firstIndex(of: target) else { return self }
        var copy = self
        copy.replaceSubrange(index...index, with: String(replacement))
        return copy
    }
}
