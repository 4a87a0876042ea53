import Foundation
import SeclabFormat
import SeclabKeys
import SeclabPrimitives
import SeclabTestSupport

/// One real server with two accounts, built through the real `seclab` binary, and the genuine
/// answers of the real server that the attacks splice into each other: everything a malicious
/// server operator would have at hand.
///
/// - owner: vaults `prod` (four secrets, one multi-line) and `staging` (same names, other
///   values), machine credentials `prod` and `prod-2` on prod and `staging` on staging; prod is
///   shared with friend (fingerprint checked).
/// - friend: vault `friends` with a machine credential, shared with owner (fingerprint
///   checked), so each pins the other's key as verified.
final class HostileWorld: @unchecked Sendable {
    static let prodSecrets: [String: String] = [
        "DATABASE_URL": "postgres://app:Pr0d-db-pass@db.internal:5432/app",
        "API_TOKEN": "tok_live_hostile_5b0e1c9d7a",
        "TLS_KEY": "-----BEGIN PRIVATE KEY-----\nMIIEvQIBADANBgkqhkiG9w0BAQEFAASC\nBKcwggSjAgEAAoIBAQDhostileline\n-----END PRIVATE KEY-----\n",
        "SHORT": "yes",
    ]
    static let stagingSecrets = ["DATABASE_URL": "postgres://app:St4ging-db@db.staging:5432/app", "API_TOKEN": "tok_staging_attacker_wants_this"]
    static let friendSecrets = ["DATABASE_URL": "postgres://friend:Fr1end-db@db.friend:5432/app"]
    static let ownerEmail = "owner@hostile.test"
    static let friendEmail = "friend@hostile.test"

    private static let shared = Result { try HostileWorld() }
    /// The one world of this test process (built on first use, 10–30 s).
    static func get() throws -> HostileWorld { try shared.get() }

    let server: ServerProcess
    let owner: Device
    let friend: Device
    let ownerID: String, friendID: String
    let ownerKey: X25519PublicKey, friendKey: X25519PublicKey
    let prodID: String, stagingID: String, friendsID: String
    /// Machine credential texts: `prod`, `prod-2`, `staging`, `friend`.
    let credentials: [String: String]
    /// The real server's pull answer for each credential.
    let pulls: [String: [UInt8]]
    /// `GET /v1/vaults/{id}/items` as the owner for prod and staging, as the friend for friends.
    let prodItems: [UInt8], stagingItems: [UInt8], friendItems: [UInt8]
    /// key_ref texts by vault (`prod`, `staging`, `friends`) and secret name.
    let refs: [String: [String: String]]
    /// An account the server operator made up: its keys are the attacker's.
    let attacker = Impostor()

    private init() throws {
        let server = try ServerProcess()
        // The world lives in a static for the whole run: its deinit never comes.
        server.cleanUpAtExit()
        let owner = try Device(server: server.baseURL, passphrase: "owner passphrase for the hostile world")
        let friend = try Device(server: server.baseURL, passphrase: "friend passphrase for the hostile world")
        self.server = server
        self.owner = owner
        self.friend = friend
        ExitCleanup.remove(owner.root)
        ExitCleanup.remove(friend.root)
        try owner.ok(["account", "create", "--email", Self.ownerEmail])
        try friend.ok(["account", "create", "--email", Self.friendEmail])
        for vault in ["prod", "staging"] { try owner.ok(["vault", "create", vault]) }
        try friend.ok(["vault", "create", "friends"])
        for (name, value) in Self.prodSecrets { try owner.ok(["secret", "set", "prod", name], stdin: Array(value.utf8)) }
        for (name, value) in Self.stagingSecrets { try owner.ok(["secret", "set", "staging", name], stdin: Array(value.utf8)) }
        for (name, value) in Self.friendSecrets { try friend.ok(["secret", "set", "friends", name], stdin: Array(value.utf8)) }
        var credentials = [String: String]()
        for (name, device, vault) in [("prod", owner, "prod"), ("prod-2", owner, "prod"), ("staging", owner, "staging"), ("friend", friend, "friends")] {
            credentials[name] = try device.ok(["machine", "create", vault, "--name", "ci-\(name)"]).trimmingCharacters(in: .whitespacesAndNewlines)
        }
        self.credentials = credentials
        let ownerKey = try X25519PublicKey(text: owner.keySet.string("public_key"))
        let friendKey = try X25519PublicKey(text: friend.keySet.string("public_key"))
        self.ownerKey = ownerKey
        self.friendKey = friendKey
        ownerID = try owner.keySet.string("account_id")
        friendID = try friend.keySet.string("account_id")
        try owner.ok(["vault", "share", "prod", "--with", Self.friendEmail, "--fingerprint", Fingerprint.of(friendKey)])
        try friend.ok(["vault", "share", "friends", "--with", Self.ownerEmail, "--fingerprint", Fingerprint.of(ownerKey)])
        try friend.ok(["vault", "accept", "prod", "--fingerprint", Fingerprint.of(ownerKey)])
        try owner.ok(["vault", "accept", "friends", "--fingerprint", Fingerprint.of(friendKey)])

        let port = UInt16(server.baseURL.split(separator: ":").last!)!
        func fetch(_ method: String, _ path: String, _ authorization: String, _ body: String = "") throws -> [UInt8] {
            let request = ProxiedRequest(method: method, target: path, headers: [("Authorization", authorization), ("Content-Type", "application/json")],
                                         body: Array(body.utf8))
            let response = try TamperingProxy.send(request, toPort: port)
            guard response.status == 200 else { throw TestSupportError("\(method) \(path): \(response.status)") }
            return response.body
        }
        var pulls = [String: [UInt8]]()
        for (name, text) in credentials { pulls[name] = try fetch("POST", "/v1/machine/pull", Self.machineAuthorization(text), "{}") }
        self.pulls = pulls
        let ownerBearer = "Bearer \(try owner.token)", friendBearer = "Bearer \(try friend.token)"
        let prodID = Attack.decode(pulls["prod"]!)!.string("vault_id")
        let stagingID = Attack.decode(pulls["staging"]!)!.string("vault_id")
        let friendsID = Attack.decode(pulls["friend"]!)!.string("vault_id")
        self.prodID = prodID
        self.stagingID = stagingID
        self.friendsID = friendsID
        prodItems = try fetch("GET", "/v1/vaults/\(prodID)/items", ownerBearer)
        stagingItems = try fetch("GET", "/v1/vaults/\(stagingID)/items", ownerBearer)
        friendItems = try fetch("GET", "/v1/vaults/\(friendsID)/items", friendBearer)
        var refs = [String: [String: String]]()
        for (vault, credential, secrets) in [("prod", "prod", Self.prodSecrets), ("staging", "staging", Self.stagingSecrets),
                                             ("friends", "friend", Self.friendSecrets)] {
            let cipher = try Self.cipher(pull: pulls[credential]!, credential: credentials[credential]!)
            refs[vault] = try secrets.keys.reduce(into: [:]) { $0[$1] = cipher.keyRef(for: try ItemName($1)).text }
        }
        self.refs = refs
    }

    /// `Machine <slot_id>.<b64u auth_secret>` for a credential text (spec §6.2).
    static func machineAuthorization(_ credential: String) throws -> String {
        let parsed = try MachineCredential(text: credential)
        return "Machine \(parsed.slotID.text).\(parsed.authSecret.text)"
    }

    /// What the holder of `credential` derives from a genuine pull answer: the item cipher.
    static func cipher(pull: [UInt8], credential: String) throws -> ItemCipher {
        let object = Attack.decode(pull)!
        let parsed = try MachineCredential(text: credential)
        let context = VaultContext(ownerAccountID: try SeclabID(text: object.string("account_id")),
                                   vaultID: try SeclabID(text: object.string("vault_id")))
        let vk = try MachineSlot.unwrap(AEADBlob(text: object.string("wrapped_vk")), with: parsed.unwrapKey, in: context, slotID: parsed.slotID)
        let indexKey = try vk.unwrapIndexKey(AEADBlob(text: object.string("wrapped_index_key")), in: context)
        return ItemCipher(vaultKey: vk, indexKey: indexKey, context: context)
    }

    /// The genuine pull answer of a credential, as an object to edit.
    func pull(_ name: String) -> JSONObject { Attack.decode(pulls[name]!)! }

    /// The item with `name` in a genuine items list or pull answer of `vault`.
    func item(_ list: [UInt8], vault: String, _ name: String) -> JSONObject {
        Attack.decode(list)!.list("items").first { $0.string("key_ref") == refs[vault]![name]! }!
    }

    /// The slot id inside a credential text.
    func slotID(_ credential: String) -> String { (try? MachineCredential(text: credentials[credential]!).slotID.text) ?? "" }
}

/// An account the malicious server invents: an id and a keypair of its own choosing, with
/// which it can seal any vault key it likes (HPKE auth mode, from this key).
struct Impostor: Sendable {
    let keys = AccountKeyPair.generate()
    let accountID = SeclabID.random()
    var publicKey: X25519PublicKey { keys.publicKey }
    var fingerprint: String { Fingerprint.of(keys.publicKey) }

    /// A vault summary the server plants in `recipient`'s vault list: a vault key chosen by
    /// the attacker, sealed from the attacker's key. `claimedOwner` defaults to the impostor.
    func plantedVault(name: String, recipientID: String, recipientKey: X25519PublicKey, claimedOwner: String? = nil) throws -> JSONObject {
        let owner = try claimedOwner.map { try SeclabID(text: $0) } ?? accountID
        let context = VaultContext(ownerAccountID: owner, vaultID: .random())
        let vk = VaultKey.generate(), slotID = SeclabID.random()
        let wrap = try PublicKeySlot.wrap(vk, to: recipientKey, from: keys.privateKey, in: context, slotID: slotID)
        return [
            "vault_id": context.vaultID.text, "owner_account_id": owner.text,
            "enc_name": vk.sealName(name, in: context).text, "wrapped_index_key": vk.wrap(IndexKey.generate(), in: context).text,
            "slot": ["slot_id": slotID.text, "kind": owner == accountID ? "share" : "owner", "account_id": recipientID,
                     "wrapped_vk": wrap.text, "granted_by": owner.text, "granted_by_public_key": publicKey.text,
                     "created_at": "2025-01-01T00:00:00.000Z"] as JSONObject,
        ]
    }

    /// `summary` re-sealed by the impostor around a vault key of its choosing: the vault's
    /// real ids, a fresh VK sealed from the impostor's key, the name `name` and a fresh index key
    /// under it, and the impostor's key as the granter's (`grantedBy` also replaces the id).
    func resealed(_ summary: JSONObject, name: String, recipientKey: X25519PublicKey, grantedBy: String? = nil) throws -> JSONObject {
        var summary = summary
        var slot = summary["slot"] as! JSONObject
        let context = VaultContext(ownerAccountID: try SeclabID(text: summary.string("owner_account_id")),
                                   vaultID: try SeclabID(text: summary.string("vault_id")))
        let vk = VaultKey.generate()
        let wrap = try PublicKeySlot.wrap(vk, to: recipientKey, from: keys.privateKey, in: context,
                                          slotID: try SeclabID(text: slot.string("slot_id")))
        slot["wrapped_vk"] = wrap.text
        slot["granted_by_public_key"] = publicKey.text
        if let grantedBy { slot["granted_by"] = grantedBy }
        summary["slot"] = slot
        summary["enc_name"] = vk.sealName(name, in: context).text
        summary["wrapped_index_key"] = vk.wrap(IndexKey.generate(), in: context).text
        return summary
    }
}
