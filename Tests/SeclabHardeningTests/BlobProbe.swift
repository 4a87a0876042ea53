import Foundation
import SeclabFormat
import SeclabHPKE
import SeclabKeys
import SeclabPrimitives

/// Tries to open every `xc1.` blob and `hp1.` wrap a server holds or sent, first with the
/// clients' keys (to learn each blob's spec AAD and show the probe works), then with every key
/// a server could get at from its own data.
///
/// What this proves, and what it does not: it cannot prove that XChaCha20-Poly1305 or HPKE are
/// unbreakable. It proves that no key the server *stores* (any 32-byte value anywhere in the
/// database, dump or log, decoded from base64url, base64 or hex) and no key it can *derive in
/// one step* the way the spec derives keys (SHA-256 of any stored value; HKDF of a stored
/// 32-byte value with an account or slot id as salt and the spec's `auth`, `unwrap`, `auk`,
/// `srp-x` labels) opens any blob, under the blob's own AAD, which the server knows anyway
/// (ids, key refs, labels are public). That is the implementation mistake that would make
/// "zero knowledge" false in practice: a key stored next to its ciphertext, a key derived from
/// public data, a wrap to a key the server holds. The positive control (every blob the server
/// sent opens with a client key under one of the enumerated AADs) shows that a key that could
/// open a blob would be noticed.
struct BlobProbe {
    /// Ids and key refs seen in the traffic: the server knows them all.
    var accounts = Set<SeclabID>(), vaults = Set<SeclabID>(), slots = Set<SeclabID>(), keyRefs = Set<[UInt8]>()

    /// Collect ids and key refs from every JSON body.
    mutating func learn(from object: Any) {
        if let dictionary = object as? JSONObject {
            for (key, value) in dictionary {
                if let text = value as? String {
                    if key.hasSuffix("account_id") || key == "granted_by", let id = try? SeclabID(text: text) { accounts.insert(id) }
                    if key == "vault_id", let id = try? SeclabID(text: text) { vaults.insert(id) }
                    if key == "slot_id", let id = try? SeclabID(text: text) { slots.insert(id) }
                    if key == "key_ref", let ref = try? Base64URL.decode(text, count: 32, what: "key_ref") { keyRefs.insert(ref) }
                }
                learn(from: value)
            }
        } else if let array = object as? [Any] {
            for element in array { learn(from: element) }
        }
    }

    /// Every AAD the spec defines (§5–§7 and the machine label), over the ids seen.
    var aeadAADs: [[UInt8]] {
        var out = [[UInt8]]()
        for account in accounts {
            out.append(Array(Labels.accountKey.utf8) + account.bytes)
            for vault in vaults {
                let base = account.bytes + vault.bytes
                out += [Labels.indexKey, Labels.vaultName].map { Array($0.utf8) + base }
                for slot in slots { out += [Labels.machineSlot, Labels.machineLabel].map { Array($0.utf8) + base + slot.bytes } }
                for ref in keyRefs { out += [Labels.itemName, Labels.itemValue].map { Array($0.utf8) + base + ref } }
            }
        }
        return out
    }

    /// Every (info, aad) of the spec's HPKE wraps (§6.1, §6.2).
    var hpkeParameters: [(info: [UInt8], aad: [UInt8])] {
        var out = [([UInt8], [UInt8])]()
        for account in accounts { for vault in vaults { for slot in slots {
            let aad = account.bytes + vault.bytes + slot.bytes
            out += [(Array(Labels.vaultKey.utf8), aad), (Array(Labels.machineUnwrapKey.utf8), aad)]
        } } }
        return out
    }

    /// Every well-formed `xc1.` and `hp1.` text in `bytes`.
    static func blobs(in bytes: [UInt8]) -> (aead: Set<AEADBlob>, hpke: Set<HPKEWrap>) {
        var aead = Set<AEADBlob>(), hpke = Set<HPKEWrap>()
        let text = String(decoding: bytes.map { $0 < 128 ? $0 : 32 }, as: UTF8.self)
        let pattern = try! NSRegularExpression(pattern: "(xc1|hp1)\\.[A-Za-z0-9_-]+\\.[A-Za-z0-9_-]+")
        for match in pattern.matches(in: text, range: NSRange(text.startIndex..., in: text)) {
            let blob = String(text[Range(match.range, in: text)!])
            if let parsed = try? AEADBlob(text: blob) { aead.insert(parsed) }
            if let parsed = try? HPKEWrap(text: blob) { hpke.insert(parsed) }
        }
        return (aead, hpke)
    }

    /// The keys a server can get at from `bytes` (its database, dump and log), as described above.
    func serverKeys(from bytes: [UInt8]) -> Set<[UInt8]> {
        let text = String(decoding: bytes.map { $0 < 128 ? $0 : 32 }, as: UTF8.self)
        var decoded = Set<[UInt8]>()
        var texts = Set<String>()
        for (pattern, decode) in [("[A-Za-z0-9_-]{16,}", { (t: String) in try? Base64URL.decode(t) }),
                                  ("[A-Za-z0-9+/]{16,}", { (t: String) in Data(base64Encoded: t + String(repeating: "=", count: (4 - t.count % 4) % 4)).map(Array.init) }),
                                  ("[0-9a-fA-F]{32,}", { (t: String) in try? Hex.decode(t.lowercased()) })] as [(String, (String) -> [UInt8]?)] {
            let regex = try! NSRegularExpression(pattern: pattern)
            for match in regex.matches(in: text, range: NSRange(text.startIndex..., in: text)) {
                let token = String(text[Range(match.range, in: text)!])
                texts.insert(token)
                if let bytes = decode(token) { decoded.insert(bytes) }
            }
        }
        var keys = Set<[UInt8]>()
        let salts = [[UInt8]()] + (accounts.union(slots)).map(\.bytes)
        let labels = [Labels.machineAuth, Labels.machineUnwrap, Labels.auk, Labels.srpX].map { Array($0.utf8) }
        for value in decoded {
            keys.insert(SHA256.hash(value))
            guard value.count == 32 else { continue }
            keys.insert(value)
            for salt in salts {
                for label in labels {
                    if let derived = try? HKDFSHA256.derive(ikm: value, salt: salt, info: label, length: 32) { keys.insert(derived.unprotectedArray()) }
                }
            }
        }
        for token in texts { keys.insert(SHA256.hash(Array(token.utf8))) }
        return keys
    }

    /// The AAD under which one of `keys` opens `blob`, and that key's label; nil if none does.
    func open(_ blob: AEADBlob, with keys: [(label: String, key: SymmetricKey)], aads: [[UInt8]]) -> (label: String, aad: [UInt8])? {
        for (label, key) in keys {
            for aad in aads where (try? XChaCha20Poly1305.open(blob.ciphertext, key: key, nonce: blob.nonce, aad: aad)) != nil {
                return (label, aad)
            }
        }
        return nil
    }

    /// The (info, aad, sender) under which one account opens `wrap`; nil if none does.
    func open(_ wrap: HPKEWrap, with accounts: [AccountKeyPair]) -> (info: [UInt8], aad: [UInt8], sender: X25519PublicKey)? {
        for recipient in accounts {
            for sender in accounts.map(\.publicKey) {
                for (info, aad) in hpkeParameters where (try? HPKE.openAuth(enc: wrap.enc, ciphertext: wrap.ciphertext, recipient: recipient.privateKey,
                                                                              sender: sender, info: info, aad: aad)) != nil {
                    return (info, aad, sender)
                }
            }
        }
        return nil
    }

    /// The candidates that are the private key of one of `publicKeys`.
    ///
    /// Why this decides every `hp1.` wrap: opening an HPKE auth-mode wrap needs
    /// DH(sk_recipient, enc), and the sender's ephemeral key is discarded after sealing, so
    /// only the holder of the recipient's private key opens it (even the sender's private key
    /// does not help). Checking each candidate's public key against the recipients' is the
    /// same test as trying each candidate on each wrap, only faster.
    static func privateKeys(among candidates: Set<[UInt8]>, for publicKeys: Set<X25519PublicKey>) -> [X25519PublicKey] {
        candidates.compactMap { bytes in
            guard let key = try? X25519PrivateKey(SecretBytes(copying: bytes)) else { return nil }
            return publicKeys.contains(key.publicKey) ? key.publicKey : nil
        }
    }
}
