import Foundation
@_spi(SeclabTesting) @testable import SeclabKeys
import SeclabFormat
import SeclabPassphrase
@_spi(SeclabTesting) import SeclabPrimitives
@_spi(SeclabTesting) import SeclabSRP

/// Checks one vector file in the format of `seclab-v1.json` against our implementation, in
/// both directions where a case allows it (derive/seal reproduces the bytes; open recovers
/// the plaintext), and every `must_reject` entry is refused with the right kind of error.
///
/// It collects failures instead of stopping at the first, so one run reports every mismatch.
struct SeclabV1VectorChecker {
    private(set) var failures: [String] = []
    private(set) var checks = 0
    let file: String

    init(file: String) { self.file = file }

    /// Run every known section of `root`. An unknown section is a failure: a vector that this
    /// checker silently skipped would prove nothing.
    mutating func run(_ root: [String: Any]) {
        let known: [String: (inout SeclabV1VectorChecker, [String: Any]) throws -> Void] = [
            "secret_key": { try $0.secretKey($1) },
            "two_skd": { try $0.twoSKD($1) },
            "account_key": { try $0.accountKey($1) },
            "vault": { try $0.vault($1) },
            "pk_slot": { try $0.publicKeySlot($1) },
            "machine_slot": { try $0.machineSlot($1) },
            "items": { try $0.item($1) },
            "srp": { try $0.srp($1) },
        ]
        for (section, value) in root.sorted(by: { $0.key < $1.key }) {
            guard let cases = value as? [[String: Any]] else { continue }  // metadata fields
            if section == "must_reject" {
                for (index, entry) in cases.enumerated() {
                    do { try mustReject(entry, root: root) } catch { fail("must_reject[\(index)]: \(error)") }
                }
                continue
            }
            guard let check = known[section] else { fail("unknown section '\(section)'"); continue }
            for (index, entry) in cases.enumerated() {
                let before = failures.count
                do { try check(&self, entry) } catch { fail("\(error)") }
                for i in before..<failures.count { failures[i] = "\(section)[\(index)]: " + failures[i] }
            }
        }
    }

    // MARK: - helpers

    mutating func fail(_ message: String) { failures.append("\(file): \(message)") }

    mutating func expectEqual<T: Equatable>(_ actual: T, _ expected: T, _ what: String) {
        checks += 1
        if actual != expected { fail("\(what): got \(actual), expected \(expected)") }
    }

    mutating func expectBytes(_ actual: [UInt8], _ expected: [UInt8], _ what: String) {
        checks += 1
        if actual != expected { fail("\(what): got \(Hex.encode(actual)), expected \(Hex.encode(expected))") }
    }

    mutating func expectSecret(_ actual: SecretBytes, _ expected: [UInt8], _ what: String) {
        expectBytes(actual.unprotectedArray(), expected, what)
    }

    /// Expect `body` to throw an error whose kind `matches` accepts.
    mutating func expectRejected(_ what: String, kind: String, _ matches: (any Error) -> Bool, _ body: () throws -> Void) {
        checks += 1
        do {
            try body()
            fail("\(what): accepted, but must be refused (\(kind))")
        } catch {
            if !matches(error) { fail("\(what): refused with the wrong error (\(error)), expected \(kind)") }
        }
    }

    func id(_ c: [String: Any], _ key: String) throws -> SeclabID { try SeclabID(text: c.string(key), what: key) }
    func secret(_ c: [String: Any], _ key: String) throws -> SecretBytes { SecretBytes(copying: try c.hex(key)) }

    // MARK: - sections

    mutating func secretKey(_ c: [String: Any]) throws {
        let sk = try SecretKey(secret(c, "sk"))
        let text = try c.string("sk_text")
        expectEqual(sk.text, text, "SecretKey text")
        expectSecret(try SecretKey(text: text).secretBytes, try c.hex("sk"), "SecretKey parsed from text")
        // Spec §3: parsers ignore case, spaces and '-'.
        let loose = text.lowercased().replacingOccurrences(of: "-", with: " ")
        expectSecret(try SecretKey(text: loose).secretBytes, try c.hex("sk"), "SecretKey parsed from loose text")
    }

    mutating func twoSKD(_ c: [String: Any]) throws {
        let passphrase = try NormalizedPassphrase(normalizing: c.string("passphrase_text"))
        expectSecret(passphrase.secretBytes, try c.hex("passphrase_normalized"), "normalized passphrase")
        let sk = try SecretKey(secret(c, "sk"))
        let account = try id(c, "account_id_text")
        let auk = try TwoSecretKeyDerivation.accountUnlockKey(passphrase: passphrase, secretKey: sk, accountID: account,
                                                             saltAUK: c.hex("salt_auk"), profile: .p1)
        expectSecret(auk.secretBytes, try c.hex("auk"), "AUK")
        let x = try TwoSecretKeyDerivation.srpSecret(passphrase: passphrase, secretKey: sk, accountID: account,
                                                     saltSRP: c.hex("salt_srp"), profile: .p1)
        expectSecret(x.secretBytes, try c.hex("srp_x"), "SRP x")
        expectBytes(SRP.verifier(x: x.secretBytes), try c.hex("srp_verifier"), "SRP verifier")
    }

    mutating func accountKey(_ c: [String: Any]) throws {
        let pair = AccountKeyPair(privateKey: try X25519PrivateKey(secret(c, "private_key")))
        expectBytes(pair.publicKey.bytes, try c.hex("public_key"), "public key")
        expectEqual(pair.publicKey.text, try c.string("public_key_text"), "public key text")
        expectEqual(Fingerprint.of(pair.publicKey), try c.string("fingerprint_text"), "fingerprint")
        let account = try id(c, "account_id_text")
        let auk = try testAUK(secret(c, "auk"))
        let sealed = try pair.sealPrivateKey(auk: auk, accountID: account, nonce: c.hex("nonce"))
        expectEqual(sealed.text, try c.string("enc_private_key_text"), "enc_private_key")
        let opened = try AccountKeyPair.open(AEADBlob(text: c.string("enc_private_key_text")), auk: auk, accountID: account)
        expectSecret(opened.privateKey.secretBytes, try c.hex("private_key"), "opened private key")
    }

    mutating func vault(_ c: [String: Any]) throws {
        let context = VaultContext(ownerAccountID: try id(c, "account_id_text"), vaultID: try id(c, "vault_id_text"))
        let vk = try VaultKey(secret(c, "vk"))
        let indexKey = try IndexKey(secret(c, "index_key"))
        let wrapped = try vk.wrap(indexKey, in: context, nonce: c.hex("nonce_index_key"))
        expectEqual(wrapped.text, try c.string("wrapped_index_key_text"), "wrapped_index_key")
        let name = try vk.sealName(c.string("vault_name_text"), in: context, nonce: c.hex("nonce_vault_name"))
        expectEqual(name.text, try c.string("enc_vault_name_text"), "enc_vault_name")
        let openedIndex = try vk.unwrapIndexKey(AEADBlob(text: c.string("wrapped_index_key_text")), in: context)
        expectSecret(openedIndex.secretBytes, try c.hex("index_key"), "opened index key")
        expectEqual(try vk.openName(AEADBlob(text: c.string("enc_vault_name_text")), in: context),
                    try c.string("vault_name_text"), "opened vault name")
    }

    mutating func publicKeySlot(_ c: [String: Any]) throws {
        let context = VaultContext(ownerAccountID: try id(c, "account_id_text"), vaultID: try id(c, "vault_id_text"))
        let slot = try id(c, "slot_id_text")
        let sender = try X25519PrivateKey(secret(c, "sender_private_key"))
        let recipient = try X25519PrivateKey(secret(c, "recipient_private_key"))
        expectBytes(sender.publicKey.bytes, try c.hex("sender_public_key"), "sender public key")
        expectBytes(recipient.publicKey.bytes, try c.hex("recipient_public_key"), "recipient public key")
        expectEqual(try c.string("info_text"), Labels.vaultKey, "HPKE info label")
        expectBytes(context.ownerAccountID.bytes + context.vaultID.bytes + slot.bytes, try c.hex("aad"), "slot AAD")
        let vk = try VaultKey(secret(c, "vk"))
        let wrap = try PublicKeySlot.wrap(vk, to: recipient.publicKey, from: sender, in: context, slotID: slot,
                                          ephemeral: X25519PrivateKey(secret(c, "ephemeral_private_key")))
        expectEqual(wrap.text, try c.string("wrapped_vk_text"), "wrapped_vk")
        let opened = try PublicKeySlot.unwrap(HPKEWrap(text: c.string("wrapped_vk_text")), recipient: recipient,
                                              sender: X25519PublicKey(c.hex("sender_public_key")), in: context, slotID: slot)
        expectSecret(opened.secretBytes, try c.hex("vk"), "opened VK")
    }

    mutating func machineSlot(_ c: [String: Any]) throws {
        let context = VaultContext(ownerAccountID: try id(c, "account_id_text"), vaultID: try id(c, "vault_id_text"))
        let slot = try id(c, "slot_id_text")
        let credential = MachineCredential(slotID: slot, machineKey: try secret(c, "mk"))
        expectEqual(credential.text, try c.string("credential_text"), "credential text")
        let parsed = try MachineCredential(text: c.string("credential_text"))
        expectEqual(parsed.slotID, slot, "parsed credential slot id")
        expectSecret(parsed.machineKey, try c.hex("mk"), "parsed credential MK")
        expectSecret(credential.authSecret.secretBytes, try c.hex("auth_secret"), "auth_secret")
        expectEqual(credential.authSecret.text, try c.string("auth_secret_text"), "auth_secret text")
        expectSecret(credential.unwrapKey.secretBytes, try c.hex("unwrap_key"), "unwrap_key")
        let vk = try VaultKey(secret(c, "vk"))
        let wrapped = try MachineSlot.wrap(vk, with: credential.unwrapKey, in: context, slotID: slot, nonce: c.hex("nonce"))
        expectEqual(wrapped.text, try c.string("wrapped_vk_text"), "machine wrapped_vk")
        let opened = try MachineSlot.unwrap(AEADBlob(text: c.string("wrapped_vk_text")), with: parsed.unwrapKey, in: context, slotID: slot)
        expectSecret(opened.secretBytes, try c.hex("vk"), "opened machine VK")
        let owner = AccountKeyPair(privateKey: try X25519PrivateKey(secret(c, "owner_private_key")))
        expectBytes(owner.publicKey.bytes, try c.hex("owner_public_key"), "owner public key")
        let escrow = try MachineSlot.escrow(credential.unwrapKey, owner: owner, in: context, slotID: slot,
                                            ephemeral: X25519PrivateKey(secret(c, "escrow_ephemeral_private_key")))
        expectEqual(escrow.text, try c.string("unwrap_key_escrow_text"), "unwrap_key_escrow")
        let unescrowed = try MachineSlot.openEscrow(HPKEWrap(text: c.string("unwrap_key_escrow_text")), owner: owner, in: context, slotID: slot)
        expectSecret(unescrowed.secretBytes, try c.hex("unwrap_key"), "opened escrow")
    }

    mutating func item(_ c: [String: Any]) throws {
        let cipher = try itemCipher(c)
        let name = try ItemName(c.string("name_text"))
        expectBytes(name.utf8, try c.hex("name_normalized"), "normalized name")
        expectBytes(cipher.keyRef(for: name).bytes, try c.hex("key_ref"), "key_ref")
        expectEqual(cipher.keyRef(for: name).text, try c.string("key_ref_text"), "key_ref text")
        let sealed = try cipher.seal(name: name, value: secret(c, "value"), nameNonce: c.hex("nonce_name"), valueNonce: c.hex("nonce_value"))
        expectEqual(sealed.encName.text, try c.string("enc_name_text"), "enc_name")
        expectEqual(sealed.encValue.text, try c.string("enc_value_text"), "enc_value")
        let opened = try cipher.open(wireItem(c))
        expectBytes(opened.name.utf8, try c.hex("name_normalized"), "opened name")
        expectSecret(opened.value, try c.hex("value"), "opened value")
    }

    mutating func srp(_ c: [String: Any]) throws {
        let group = SRPGroup.rfc5054_4096
        expectBytes(group.pad(group.multiplier), try c.hex("k"), "SRP k")
        let x = try secret(c, "x")
        let v = SRP.verifier(x: x)
        expectBytes(v, try c.hex("v"), "SRP v")
        let identity = try id(c, "account_id_text").bytes
        let salt = try c.hex("salt_srp")
        let client = SRPClient(a: try secret(c, "a"))
        expectBytes(client.publicValue, group.pad(try c.hex("A")), "SRP A")
        let server = try SRPServer(verifier: v, secret: secret(c, "b"))
        expectBytes(server.publicValue, group.pad(try c.hex("B")), "SRP B")
        let proof = try client.respond(identity: identity, salt: salt, x: x, serverPublicValue: server.publicValue)
        expectBytes(proof.clientProof, try c.hex("M1"), "SRP M1")
        expectSecret(proof.sessionKey, try c.hex("K"), "SRP K (client)")
        let verified = try server.verify(identity: identity, salt: salt, clientPublicValue: client.publicValue, clientProof: c.hex("M1"))
        expectBytes(verified.serverProof, try c.hex("M2"), "SRP M2")
        expectSecret(verified.sessionKey, try c.hex("K"), "SRP K (server)")
        checks += 1
        do { try proof.verifyServerProof(c.hex("M2")) } catch { fail("client refused the vector's M2: \(error)") }
        // u and S are internal to the exchange; they are pinned through K, M1 and M2 above.
        _ = try c.hex("u"); _ = try c.hex("S")
    }

    // MARK: - must_reject

    mutating func mustReject(_ c: [String: Any], root: [String: Any]) throws {
        let what = try c.string("what")
        let checksum = what.contains("checksum")
        func keysKind(_ error: any Error) -> Bool {
            guard let error = error as? KeysError else { return false }
            switch error {
            case .checksumMismatch: return checksum
            case .malformed: return !checksum
            default: return false
            }
        }
        if let text = c["credential_text"] as? String {
            expectRejected(what, kind: checksum ? "checksum mismatch" : "malformed", keysKind) { _ = try MachineCredential(text: text) }
        } else if let text = c["sk_text"] as? String {
            expectRejected(what, kind: checksum ? "checksum mismatch" : "malformed", keysKind) { _ = try SecretKey(text: text) }
        } else if let text = c["enc_value_text"] as? String {
            expectRejected(what, kind: "format error before decryption", { $0 is FormatError }) { _ = try AEADBlob(text: text) }
        } else if let names = c["names_hex"] as? [String] {
            for hex in names {
                let bytes = try Hex.decode(hex)
                expectRejected("\(what) (\(hex.prefix(16)))", kind: "invalid name", {
                    if case .invalidName = $0 as? KeysError { return true } else { return false }
                }) { _ = try ItemName(normalizedUTF8: bytes) }
            }
        } else if let scenario = c["case"] as? String {
            try mustRejectCase(scenario, what: what, root: root)
        } else {
            fail("must_reject entry '\(what)' has no field this checker knows")
        }
    }

    mutating func mustRejectCase(_ scenario: String, what: String, root: [String: Any]) throws {
        let items = (root["items"] as? [[String: Any]]) ?? []
        let slots = (root["pk_slot"] as? [[String: Any]]) ?? []
        let decryptionFailed: (any Error) -> Bool = { if case .decryptionFailed = $0 as? KeysError { return true } else { return false } }
        switch scenario {
        case "items[0].enc_value_text under items[1].key_ref":
            guard items.count > 1 else { return fail("\(what): needs two items") }
            let cipher = try itemCipher(items[0])
            let moved = SealedItem(keyRef: try KeyRef(text: items[1].string("key_ref_text")),
                                   encName: try AEADBlob(text: items[1].string("enc_name_text")),
                                   encValue: try AEADBlob(text: items[0].string("enc_value_text")))
            expectRejected(what, kind: "decryption failure", decryptionFailed) { _ = try cipher.open(moved) }
        case "items[0].enc_name_text re-sealed under items[1].key_ref AAD":
            guard items.count > 1 else { return fail("\(what): needs two items") }
            let cipher = try itemCipher(items[0])
            let otherRef = try KeyRef(text: items[1].string("key_ref_text"))
            // Re-seal item 0's name so that its AEAD is valid under item 1's key_ref: only the
            // HMAC re-check of spec §7 can catch this re-labelling.
            let resealed = try cipher.vaultKey.seal(secret(items[0], "name_normalized"), aad: cipher.nameAAD(otherRef), nonce: randomBytes(count: 24))
            expectRejected(what, kind: "key_ref mismatch", { ($0 as? KeysError) == .keyRefMismatch }) {
                _ = try cipher.openName(resealed, keyRef: otherRef)
            }
        case "pk_slot[1] opened with pk_slot[0].sender_public_key":
            guard slots.count > 1 else { return fail("\(what): needs two slots") }
            let c = slots[1]
            let context = VaultContext(ownerAccountID: try id(c, "account_id_text"), vaultID: try id(c, "vault_id_text"))
            let wrap = try HPKEWrap(text: c.string("wrapped_vk_text"))
            let recipient = try X25519PrivateKey(secret(c, "recipient_private_key"))
            let wrongSender = try X25519PublicKey(slots[0].hex("sender_public_key"))
            let slot = try id(c, "slot_id_text")
            expectRejected(what, kind: "decryption failure", decryptionFailed) {
                _ = try PublicKeySlot.unwrap(wrap, recipient: recipient, sender: wrongSender, in: context, slotID: slot)
            }
        default:
            fail("must_reject case '\(scenario)' is not known to this checker")
        }
    }

    // MARK: - shared construction

    func itemCipher(_ c: [String: Any]) throws -> ItemCipher {
        ItemCipher(vaultKey: try VaultKey(secret(c, "vk")), indexKey: try IndexKey(secret(c, "index_key")),
                   context: VaultContext(ownerAccountID: try id(c, "account_id_text"), vaultID: try id(c, "vault_id_text")))
    }

    func wireItem(_ c: [String: Any]) throws -> SealedItem {
        SealedItem(keyRef: try KeyRef(text: c.string("key_ref_text")),
                   encName: try AEADBlob(text: c.string("enc_name_text")),
                   encValue: try AEADBlob(text: c.string("enc_value_text")))
    }

    func testAUK(_ bytes: SecretBytes) throws -> AccountUnlockKey { try AccountUnlockKey(testBytes: bytes) }
}
