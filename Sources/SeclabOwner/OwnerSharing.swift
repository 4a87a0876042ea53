import SeclabClient
import SeclabAPI
public import SeclabFormat
import SeclabKeys
public import SeclabPrimitives

/// Another account as the server reports it, for a share (spec §5, §6.1).
public struct AccountLookup: Sendable {
    /// The account id.
    public let accountID: SeclabID
    /// The lowercased e-mail it was looked up by.
    public let email: String
    /// Its public key as the server sent it (check the fingerprint before trusting it).
    public let publicKey: X25519PublicKey
    /// `Fingerprint.of(publicKey)`, for an out-of-band check.
    public var fingerprint: String { Fingerprint.of(publicKey) }
    /// The pinned entry for this account on this device, if any.
    public let pinned: KeyPins.Entry?
}

extension OwnerSession {
    /// Look up an account's public key by e-mail. Throws loudly if it differs from the pinned one.
    public func lookupAccount(email: String) throws(OwnerError) -> AccountLookup {
        let lowered = email.lowercased()
        let query = lowered.utf8.map { byte -> String in
            let c = Character(Unicode.Scalar(byte))
            if c.isASCII && (c.isLetter || c.isNumber || "-._~@".contains(c)) { return String(c) }
            let hex = Array("0123456789ABCDEF")
            return "%" + String(hex[Int(byte >> 4)]) + String(hex[Int(byte & 0xF)])
        }.joined()
        let found: AccountLookupResponse = try call("account '\(lowered)'") { () throws(ClientError) in
            try client.send("GET", "/v1/accounts/lookup?email=\(query)", authorization: authorization, idempotent: true)
        }
        do {
            let id = try SeclabID(text: found.accountID, what: "account_id")
            let key = try X25519PublicKey(text: found.publicKey)
            if let entry = pins.key(for: id), entry.publicKey != key.text {
                let old = (try? X25519PublicKey(text: entry.publicKey)).map(Fingerprint.of) ?? "unreadable"
                throw OwnerError.pinnedKeyChanged(account: lowered, pinned: old, offered: Fingerprint.of(key))
            }
            // Why by e-mail too: a pin protects a person, not an id the server picks. A server
            // that answers for a pinned e-mail with another account id and its own key must trip
            // the same loud refusal as a changed key (spec §6.1), else the pin is bypassed.
            if let pinnedID = pins.accountID(forEmail: lowered), pinnedID != id.text, let entry = pins.accounts[pinnedID],
               entry.publicKey != key.text {
                let old = (try? X25519PublicKey(text: entry.publicKey)).map(Fingerprint.of) ?? "unreadable"
                throw OwnerError.pinnedKeyChanged(account: lowered, pinned: old, offered: Fingerprint.of(key))
            }
            return AccountLookup(accountID: id, email: lowered, publicKey: key, pinned: pins.key(for: id))
        } catch let error as OwnerError {
            throw error
        } catch {
            throw .integrity("the account lookup is malformed: \(error)")
        }
    }

    /// Share a vault with a looked-up account whose fingerprint the caller has verified: wrap
    /// the VK to its public key from ours (HPKE auth, spec §6.1) and pin the key.
    /// The share is an invitation: it opens nothing until the grantee accepts it, and gives
    /// `role` (`read` by default: only the owner and `write` shares change items).
    public func share(_ vault: OwnerVault, with grantee: AccountLookup, role: String = "read") throws(OwnerError) {
        guard role == "read" || role == "write" else { throw .invalidInput("a share's role is read or write, not '\(role)'") }
        guard vault.isOwner else { throw .notOwner("only the owner can share vault '\(vault.name)'") }
        guard grantee.accountID != accountID else { throw .invalidInput("you already own vault '\(vault.name)'") }
        _ = try pins.check(grantee.publicKey, for: grantee.accountID, email: grantee.email, verified: true)
        let slotID = SeclabID.random()
        let wrap: HPKEWrap
        do { wrap = try PublicKeySlot.wrap(vault.vaultKey, to: grantee.publicKey, from: keys.privateKey, in: vault.context, slotID: slotID) } catch {
            throw .invalidInput(error.description)
        }
        let request = CreateShareRequest(slotID: slotID.text, accountID: grantee.accountID.text, wrappedVK: wrap.text, role: role)
        let _: SlotView = try call("vault '\(vault.name)'") { () throws(ClientError) in
            try client.send("POST", "\(vault.path)/shares", body: request, authorization: authorization, idempotent: false)
        }
    }

    /// Remove the share slot of an account. The grantee may still hold a copy of the VK: the
    /// caller should rekey.
    public func unshare(_ vault: OwnerVault, accountID grantee: SeclabID, email: String) throws(OwnerError) {
        let slots = try slotList(vault).slots
        guard let slot = slots.first(where: { $0.kind == "share" && $0.accountID == grantee.text }) else {
            throw .notFound("a share of vault '\(vault.name)' with \(email)")
        }
        try call("share") { () throws(ClientError) in
            try client.sendExpectingNoContent("DELETE", "\(vault.path)/shares/\(slot.slotID)", authorization: authorization, idempotent: true)
        }
    }

    func slotList(_ vault: OwnerVault) throws(OwnerError) -> SlotList {
        guard vault.isOwner else { throw .notOwner("only the owner of vault '\(vault.name)' can manage its slots") }
        return try call("vault '\(vault.name)'") { () throws(ClientError) in
            try client.send("GET", "\(vault.path)/slots", authorization: authorization, idempotent: true)
        }
    }
}

/// One share of a vault as its owner sees it.
public struct ShareSummary: Sendable {
    /// The recipient account.
    public let accountID: String
    /// Its e-mail, from this device's pins (the owner looked it up to share).
    public let email: String?
    /// `read` or `write`.
    public let role: String
    /// False while the recipient has not accepted the invitation.
    public let accepted: Bool
}

extension OwnerSession {
    /// The shares of a vault the caller owns, with their roles and whether they were accepted.
    public func shares(of vault: OwnerVault) throws(OwnerError) -> (shares: [ShareSummary], machines: Int) {
        let list = try slotList(vault)
        let shares = list.slots.filter { $0.kind == "share" }.map { slot in
            ShareSummary(accountID: slot.accountID, email: pins.accounts[slot.accountID]?.email, role: slot.role ?? "write",
                         accepted: slot.accepted ?? true)
        }
        return (shares, list.machines.count)
    }
}
