import SeclabClient
public import SeclabAPI
public import SeclabFormat
public import SeclabKeys
import SeclabPrimitives

/// How far the key that granted a vault slot is trusted (spec §6.1).
public enum GranterTrust: Sendable, Equatable {
    /// The caller's own slot: sealed by the caller's own key.
    case own
    /// A share whose granter key was pinned after a fingerprint check.
    case verified
    /// A share whose granter key is trusted on first use only: flag it to the user.
    case unverified(fingerprint: String)
}

/// A vault opened on this device: its keys, ids and decrypted name.
public struct OwnerVault: Sendable {
    /// The ids bound into every AAD of the vault (owner account, vault).
    public let context: VaultContext
    /// The decrypted vault name.
    public let name: String
    /// The caller's slot.
    public let slot: SlotView
    /// True when the caller owns the vault.
    public let isOwner: Bool
    /// Trust in the key that sealed the caller's slot.
    public let trust: GranterTrust
    /// The vault key.
    public let vaultKey: VaultKey
    /// Items cipher (VK, index key, context).
    public let cipher: ItemCipher
    /// `owner`, or a share's `read` / `write` as the server reports it (the server enforces it).
    public var role: String { isOwner ? "owner" : (slot.role ?? "write") }
    /// Whether this account may change the vault's items.
    public var canWrite: Bool { isOwner || slot.role == "write" || slot.role == nil }

    /// The vault id.
    public var id: SeclabID { context.vaultID }
    /// `/v1/vaults/{vault_id}`.
    var path: String { "/v1/vaults/\(context.vaultID.text)" }
}

extension OwnerSession {
    /// Create a vault: fresh VK and index key, name and index key under the VK, and the owner's
    /// slot as an HPKE auth wrap from the owner to itself (spec §6, §6.1).
    public func createVault(named name: String) throws(OwnerError) -> OwnerVault {
        let existing = try listVaults()
        guard !existing.contains(where: { $0.name == name && $0.isOwner }) else {
            throw .conflict("you already have a vault named '\(name)'")
        }
        let context = VaultContext(ownerAccountID: accountID, vaultID: .random())
        let vk = VaultKey.generate()
        let indexKey = IndexKey.generate()
        let slotID = SeclabID.random()
        let wrap: HPKEWrap
        do { wrap = try PublicKeySlot.wrap(vk, to: keys.publicKey, from: keys.privateKey, in: context, slotID: slotID) } catch {
            throw .invalidInput(error.description)
        }
        let request = CreateVaultRequest(vaultID: context.vaultID.text, encName: vk.sealName(name, in: context).text,
                                         wrappedIndexKey: vk.wrap(indexKey, in: context).text,
                                         ownerSlot: OwnerSlot(slotID: slotID.text, wrappedVK: wrap.text))
        do throws(APIValidationError) { try request.validate() } catch { throw .invalidInput("vault name: \(error.reason)") }
        let summary: VaultSummary = try call("vault '\(name)'") { () throws(ClientError) in
            try client.send("POST", "/v1/vaults", body: request, authorization: authorization, idempotent: false)
        }
        // Open what the server echoed, so a vault we cannot read back is noticed now.
        return try open(summary)
    }

    /// Every vault the caller holds an accepted slot in, opened and named locally; vaults
    /// shared by others that do not open are left out (see `vaultListing()`).
    public func listVaults() throws(OwnerError) -> [OwnerVault] {
        try vaultListing().vaults
    }

    /// Every vault the caller holds an accepted slot in, and the shared ones that do not open.
    ///
    /// Why two outcomes: a vault the caller owns that does not open can only be the server's
    /// doing (tampering or corruption), so that fails the whole listing, closed. A vault
    /// shared by someone else that does not open is that sharer's (or the server's) fault and
    /// must not break the caller's commands on every other vault: it is reported as broken,
    /// naming who shared it, and never used.
    public func vaultListing() throws(OwnerError) -> (vaults: [OwnerVault], broken: [BrokenVault]) {
        let list: VaultList = try call("vaults") { () throws(ClientError) in
            try client.send("GET", "/v1/vaults", authorization: authorization, idempotent: true)
        }
        var out = [OwnerVault]()
        var broken = [BrokenVault]()
        for summary in list.vaults {
            do throws(OwnerError) {
                out.append(try open(summary))
            } catch {
                guard case let .integrity(reason) = error, let entry = BrokenVault(summary, reason: reason, caller: accountID) else { throw error }
                broken.append(entry)
            }
        }
        return (out, broken)
    }

    /// Find one vault by name (or by id text). Names the caller owns win over shared ones.
    public func vault(named nameOrID: String) throws(OwnerError) -> OwnerVault {
        let listing = try vaultListing()
        let all = listing.vaults
        if let byID = all.first(where: { $0.id.text == nameOrID.lowercased() }) { return byID }
        let matches = all.filter { $0.name == nameOrID }
        let owned = matches.filter(\.isOwner)
        if owned.count == 1 { return owned[0] }
        if owned.isEmpty && matches.count == 1 { return matches[0] }
        if matches.isEmpty {
            // Why only the count: a broken share's name cannot be read, so it never matches.
            if !listing.broken.isEmpty {
                throw .notFound("vault '\(nameOrID)' (\(listing.broken.count) vault(s) shared with you do not open: see `seclab vault list`)")
            }
            throw .notFound("vault '\(nameOrID)'")
        }
        throw .conflict("several vaults are named '\(nameOrID)': use the vault id (see `seclab vault list --json`)")
    }

    /// Tombstone a vault (owner only).
    public func deleteVault(_ vault: OwnerVault) throws(OwnerError) {
        guard vault.isOwner else { throw .notOwner("only the owner can delete vault '\(vault.name)'") }
        try call("vault '\(vault.name)'") { () throws(ClientError) in
            try client.sendExpectingNoContent("DELETE", vault.path, authorization: authorization, idempotent: true)
        }
    }

    /// Open a vault summary: the slot must be ours, sealed by the granting account's key
    /// (ours for our own vaults, a pinned key for shares), and every blob under its spec AAD.
    /// With `pin` false (an invitation not accepted yet) the granter's key is checked against
    /// an existing pin but never pinned.
    func open(_ summary: VaultSummary, pin: Bool = true) throws(OwnerError) -> OwnerVault {
        let slot = summary.slot
        let context: VaultContext
        let slotID: SeclabID
        let grantedBy: SeclabID
        let wrap: HPKEWrap
        let nameBlob: AEADBlob
        let indexBlob: AEADBlob
        do {
            context = VaultContext(ownerAccountID: try SeclabID(text: summary.ownerAccountID, what: "owner_account_id"),
                                   vaultID: try SeclabID(text: summary.vaultID, what: "vault_id"))
            slotID = try SeclabID(text: slot.slotID, what: "slot_id")
            grantedBy = try SeclabID(text: slot.grantedBy, what: "granted_by")
            wrap = try HPKEWrap(text: slot.wrappedVK, what: "wrapped_vk")
            nameBlob = try AEADBlob(text: summary.encName, what: "enc_name")
            indexBlob = try AEADBlob(text: summary.wrappedIndexKey, what: "wrapped_index_key")
        } catch {
            throw .integrity("vault \(summary.vaultID) is malformed: \(error)")
        }
        guard slot.accountID == accountID.text else { throw .integrity("the server sent another account's slot for vault \(summary.vaultID)") }
        let isOwner = context.ownerAccountID == accountID
        // Why: only a vault's owner can create slots (the owner slot is self-granted, shares
        // are owner-only, a rekey re-grants every slot as the owner; openapi.yaml). A slot
        // granted by anyone else is a key the server wants us to accept: refuse it, so that a
        // server cannot slip a vault key of its choosing into our own vault (spec §1, §6.1).
        guard grantedBy == context.ownerAccountID else {
            throw .integrity("vault \(summary.vaultID): its slot was not granted by the vault's owner")
        }
        let sender: X25519PublicKey
        let trust: GranterTrust
        if grantedBy == accountID {
            // Our own slot: open with our own public key, never the one the server echoes.
            sender = keys.publicKey
            trust = .own
        } else {
            // A share: the granter's key as the server reports it, checked against the pin.
            // Why pin: spec §6.1, the recipient opens a share with the granting account's key,
            // verified by fingerprint or pinned on first use, and MUST warn if it changes.
            do { sender = try X25519PublicKey(text: slot.grantedByPublicKey, what: "granted_by_public_key") } catch {
                throw .integrity("vault \(summary.vaultID): \(error)")
            }
            if pin {
                let verified = try pins.check(sender, for: grantedBy, email: nil, verified: false)
                trust = verified ? .verified : .unverified(fingerprint: Fingerprint.of(sender))
            } else {
                if let entry = pins.key(for: grantedBy), entry.publicKey != sender.text {
                    let old = (try? X25519PublicKey(text: entry.publicKey)).map(Fingerprint.of) ?? "unreadable"
                    throw .pinnedKeyChanged(account: slot.grantedByEmail ?? grantedBy.text, pinned: old, offered: Fingerprint.of(sender))
                }
                trust = pins.key(for: grantedBy)?.verified == true ? .verified : .unverified(fingerprint: Fingerprint.of(sender))
            }
        }
        do {
            let vk = try PublicKeySlot.unwrap(wrap, recipient: keys.privateKey, sender: sender, in: context, slotID: slotID)
            let indexKey = try vk.unwrapIndexKey(indexBlob, in: context)
            let name = try vk.openName(nameBlob, in: context)
            return OwnerVault(context: context, name: name, slot: slot, isOwner: isOwner, trust: trust, vaultKey: vk,
                              cipher: ItemCipher(vaultKey: vk, indexKey: indexKey, context: context))
        } catch {
            throw .integrity("vault \(summary.vaultID): \(error)")
        }
    }
}

/// A vault shared with the caller that does not open: never used, listed with who shared it.
public struct BrokenVault: Sendable {
    /// The vault id as the server reported it.
    public let vaultID: String
    /// The account that granted the caller's slot.
    public let grantedBy: String
    /// Its e-mail as the server reported it, when known.
    public let grantedByEmail: String?
    /// Why it does not open.
    public let reason: String

    /// Only vaults owned by someone else qualify: the caller's own vault failing to open is
    /// the server's fault and fails closed instead.
    init?(_ summary: VaultSummary, reason: String, caller: SeclabID) {
        guard summary.ownerAccountID != caller.text, summary.slot.grantedBy != caller.text else { return nil }
        vaultID = summary.vaultID
        grantedBy = summary.slot.grantedBy
        grantedByEmail = summary.slot.grantedByEmail
        self.reason = reason
    }

    /// Who is at fault, in words: the sharer, by e-mail and account id.
    public var sharer: String { Self.sharer(email: grantedByEmail, accountID: grantedBy) }

    /// `e-mail (account id)`, or `account id` when the server gave no e-mail: who to blame.
    static func sharer(email: String?, accountID: String) -> String {
        email.map { "\($0) (account \(accountID))" } ?? "account \(accountID)"
    }
}
