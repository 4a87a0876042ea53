import Foundation
import SeclabFormat
import SeclabKeys
import SeclabPrimitives
import SeclabTestSupport

/// Everything the clients of a zero-knowledge scenario hold, derived the way the clients
/// derive it from their two secrets and what they recorded: the list of things that must never
/// reach the server, and the keys that must be the only ones opening its blobs.
struct ClientKnowledge {
    /// One account as its device knows it.
    struct Account {
        let device: Device
        /// Every passphrase the account had, in order (registration first).
        let passphrases: [String]
    }

    /// Secrets that must appear nowhere on the server side nor in any response.
    private(set) var needles: [SecretScan.Needle] = []
    /// Session tokens: in responses by design, never stored (only their hash).
    private(set) var tokenNeedles: [SecretScan.Needle] = []
    /// `auth_secret`: sent once when a machine slot is made, stored only as an Argon2id hash.
    private(set) var authSecretNeedles: [SecretScan.Needle] = []
    /// Symmetric keys (VKs, AUKs, unwrap keys) with a label, for the blob check.
    private(set) var aeadKeys: [(label: String, key: SymmetricKey)] = []
    /// Account keypairs, for the HPKE wraps.
    private(set) var accountKeys: [(id: SeclabID, keys: AccountKeyPair)] = []

    /// Derive everything from the devices, the plaintexts and every exchange the proxy saw.
    init(accounts: [Account], plaintexts: [String: String], credential: String, exchanges: [TamperingProxy.Exchange]) throws {
        for (label, text) in plaintexts { needles += SecretScan.needles(forText: text, label: label) }
        needles += SecretScan.needles(forText: credential, label: "machine credential text")
        let machine = try MachineCredential(text: credential)
        needles += SecretScan.needles(for: machine.machineKey.unprotectedArray(), label: "MK")
        let unwrapKey = machine.unwrapKey.secretBytes
        needles += SecretScan.needles(for: unwrapKey.unprotectedArray(), label: "unwrap_key")
        aeadKeys.append(("unwrap_key", try SymmetricKey(unwrapKey)))
        authSecretNeedles = SecretScan.needles(for: machine.authSecret.secretBytes.unprotectedArray(), label: "auth_secret")

        let requests = exchanges.compactMap { exchange in Attack.decode(exchange.request.body).map { (exchange.request, $0) } }
        for (index, account) in accounts.enumerated() {
            let name = "account \(index + 1)"
            for (n, passphrase) in account.passphrases.enumerated() {
                needles += SecretScan.needles(forText: passphrase, label: "\(name) passphrase \(n + 1)")
            }
            let skText = try account.device.secretKeyText
            let secretKey = try SecretKey(text: skText)
            needles += SecretScan.needles(forText: skText, label: "\(name) Secret Key text")
            needles += SecretScan.needles(for: secretKey.secretBytes.unprotectedArray(), label: "\(name) Secret Key")
            let accountID = try SeclabID(text: account.device.keySet.string("account_id"))
            // The key material this account sent: at registration, then at each passphrase change
            // (only the first account changes its passphrase in the scenarios).
            let registration = requests.filter { $0.0.path == "/v1/accounts" && $0.1.string("account_id") == accountID.text }.map(\.1)
            let changes = account.passphrases.count > 1 ? requests.filter { $0.0.path == "/v1/account/passphrase" }.map(\.1) : []
            let sent = registration + changes
            guard sent.count == account.passphrases.count else {
                throw TestSupportError("\(name): \(sent.count) key uploads recorded for \(account.passphrases.count) passphrases")
            }
            for (n, body) in sent.enumerated() {
                let passphrase = try NormalizedPassphrase(normalizedUTF8: SecretBytes(copying: Array(account.passphrases[n].utf8)))
                let auk = try TwoSecretKeyDerivation.accountUnlockKey(passphrase: passphrase, secretKey: secretKey, accountID: accountID,
                                                                      saltAUK: try Base64URL.decode(body.string("salt_auk")), profile: .p1)
                let x = try TwoSecretKeyDerivation.srpSecret(passphrase: passphrase, secretKey: secretKey, accountID: accountID,
                                                             saltSRP: try Base64URL.decode(body.string("salt_srp")), profile: .p1)
                needles += SecretScan.needles(for: auk.secretBytes.unprotectedArray(), label: "\(name) AUK \(n + 1)")
                needles += SecretScan.needles(for: x.secretBytes.unprotectedArray(), label: "\(name) SRP x \(n + 1)")
                aeadKeys.append(("\(name) AUK \(n + 1)", try SymmetricKey(auk.secretBytes)))
                // Opening the private key proves the AUK above is the real one.
                let keys = try AccountKeyPair.open(AEADBlob(text: body.string("enc_private_key")), auk: auk, accountID: accountID)
                if n == 0 {
                    accountKeys.append((accountID, keys))
                    needles += SecretScan.needles(for: keys.privateKey.secretBytes.unprotectedArray(), label: "\(name) private key")
                }
            }
        }
        for exchange in exchanges {
            guard let body = Attack.decode(exchange.response.body) else { continue }
            if let token = body["session_token"] as? String {
                tokenNeedles += SecretScan.needles(forText: token, label: "session token")
                tokenNeedles += SecretScan.needles(for: try Base64URL.decode(token), label: "session token bytes")
            }
            for summary in Self.summaries(in: body) { try openVault(summary) }
        }
    }

    /// Every vault summary in a response (`POST /v1/vaults` answers one, `GET` a list).
    private static func summaries(in body: JSONObject) -> [JSONObject] {
        body["slot"] != nil ? [body] : body.list("vaults")
    }

    /// Open a vault summary as its recipient does; record the VK and index key.
    private mutating func openVault(_ summary: JSONObject) throws {
        let slot = summary["slot"] as? JSONObject ?? [:]
        guard let keys = accountKeys.first(where: { $0.id.text == slot.string("account_id") })?.keys else { return }
        let context = VaultContext(ownerAccountID: try SeclabID(text: summary.string("owner_account_id")),
                                   vaultID: try SeclabID(text: summary.string("vault_id")))
        let sender = slot.string("granted_by") == slot.string("account_id") ? keys.publicKey
            : try X25519PublicKey(text: slot.string("granted_by_public_key"))
        let vk = try PublicKeySlot.unwrap(HPKEWrap(text: slot.string("wrapped_vk")), recipient: keys.privateKey, sender: sender,
                                          in: context, slotID: try SeclabID(text: slot.string("slot_id")))
        let indexKey = try vk.unwrapIndexKey(AEADBlob(text: summary.string("wrapped_index_key")), in: context)
        guard !aeadKeys.contains(where: { $0.key.secretBytes == vk.secretBytes }) else { return }
        let n = aeadKeys.filter { $0.label.hasPrefix("VK") }.count + 1
        aeadKeys.append(("VK \(n)", try SymmetricKey(vk.secretBytes)))
        needles += SecretScan.needles(for: vk.secretBytes.unprotectedArray(), label: "VK \(n)")
        needles += SecretScan.needles(for: indexKey.secretBytes.unprotectedArray(), label: "index key \(n)")
    }
}
