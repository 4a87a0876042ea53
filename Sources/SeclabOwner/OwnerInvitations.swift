import SeclabClient
import SeclabAPI
import SeclabFormat
import SeclabKeys
import SeclabPrimitives

/// A share offered to the caller and not accepted yet (docs/security.md, "shares are
/// invitations"). It is opened here only to show what it is; nothing in it is used or pinned
/// before the caller accepts it.
public struct Invitation: Sendable {
    /// The vault id.
    public let vaultID: String
    /// The account that shared it.
    public let grantedBy: String
    /// Its e-mail as the server reports it.
    public let grantedByEmail: String?
    /// `read` or `write`.
    public let role: String
    /// The vault opened with the sender's key, when it opens.
    public let vault: OwnerVault?
    /// Why it does not open, when it does not: such an invitation can only be declined.
    public let problem: String?
    /// The sender's key fingerprint (spec §5), when the key is well formed.
    public let fingerprint: String?

    /// Who shared it, in words: e-mail and account id.
    public var sharer: String { BrokenVault.sharer(email: grantedByEmail, accountID: grantedBy) }
}

extension OwnerSession {
    /// How many shares are offered to the caller. Why not `invitations().count`: anyone can
    /// offer shares, and `vault list` must not open each of them (an HPKE open apiece) just
    /// to count them.
    public func pendingInvitationCount() throws(OwnerError) -> Int {
        try invitationList().invitations.count
    }

    private func invitationList() throws(OwnerError) -> InvitationList {
        try call("invitations") { () throws(ClientError) in
            try client.send("GET", "/v1/invitations", authorization: authorization, idempotent: true)
        }
    }

    /// The shares offered to the caller, each opened (not pinned) to show its name.
    public func invitations() throws(OwnerError) -> [Invitation] {
        try invitationList().invitations.map { summary in
            var vault: OwnerVault?
            var problem: String?
            do throws(OwnerError) { vault = try open(summary, pin: false) } catch { problem = error.description }
            let key = try? X25519PublicKey(text: summary.slot.grantedByPublicKey, what: "granted_by_public_key")
            return Invitation(vaultID: summary.vaultID, grantedBy: summary.slot.grantedBy, grantedByEmail: summary.slot.grantedByEmail,
                              role: summary.slot.role ?? "read", vault: vault, problem: problem, fingerprint: key.map(Fingerprint.of))
        }
    }

    /// The invitation to `vaultID` (by id, or by the decrypted name when it is unique).
    public func invitation(_ vaultOrName: String) throws(OwnerError) -> Invitation {
        let all = try invitations()
        if let byID = all.first(where: { $0.vaultID == vaultOrName.lowercased() }) { return byID }
        let named = all.filter { $0.vault?.name == vaultOrName }
        if named.count == 1 { return named[0] }
        if named.isEmpty { throw .notFound("an invitation to vault '\(vaultOrName)' (see `seclab vault invites`)") }
        throw .conflict("several invitations are for vaults named '\(vaultOrName)': use the vault id")
    }

    /// Accept an invitation: it must open under its sender's key; that key is pinned (as
    /// verified when `fingerprint` matches it), then the server makes the vault the caller's.
    public func accept(_ invitation: Invitation, fingerprint: String?) throws(OwnerError) -> OwnerVault {
        guard let vault = invitation.vault, invitation.problem == nil else {
            throw .brokenShare("the invitation to vault \(invitation.vaultID) from \(invitation.sharer) does not open (\(invitation.problem ?? "unreadable")): the sharer made it wrong or it was not made for you; nothing was accepted")
        }
        let key: X25519PublicKey
        do { key = try X25519PublicKey(text: vault.slot.grantedByPublicKey, what: "granted_by_public_key") } catch {
            throw .integrity("the invitation to vault \(invitation.vaultID): \(error)")
        }
        var verified = false
        if let fingerprint {
            guard Fingerprint.matches(fingerprint, key) else {
                throw .fingerprintMismatch(expected: fingerprint, actual: Fingerprint.of(key))
            }
            verified = true
        }
        let grantedBy: SeclabID
        do { grantedBy = try SeclabID(text: invitation.grantedBy, what: "granted_by") } catch { throw .integrity("\(error)") }
        _ = try pins.check(key, for: grantedBy, email: invitation.grantedByEmail, verified: verified)
        let summary: VaultSummary = try call("invitation to vault \(invitation.vaultID)") { () throws(ClientError) in
            try client.send("POST", "/v1/vaults/\(invitation.vaultID)/accept", authorization: authorization, idempotent: false)
        }
        return try open(summary)
    }

    /// Decline an invitation, or leave a vault shared with the caller: the caller's share slot
    /// is removed on the server. Works for shares that do not open (that is what it is for).
    public func decline(vaultID: String) throws(OwnerError) {
        let id: SeclabID
        do { id = try SeclabID(text: vaultID.lowercased(), what: "vault id") } catch { throw .invalidInput("\(error)") }
        try call("a share of vault \(id.text) for you") { () throws(ClientError) in
            try client.sendExpectingNoContent("POST", "/v1/vaults/\(id.text)/decline", authorization: authorization, idempotent: true)
        }
    }
}
