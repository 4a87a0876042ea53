/// The words of an audit row (spec §10): what happened, how it ended and who did it.
///
/// Why typed here, in the API: the raw values are an interface. The audit API returns them
/// (`docs/openapi.yaml`, `AuditEvent`), owners filter on them (`seclab audit --action`) and
/// every existing database stores them, so a case may be added but a raw value never changes.
/// `AuditEvent` keeps plain strings: a client must still read rows a newer server writes.
public enum AuditAction: String, Sendable, CaseIterable {
    /// Registration.
    case accountCreate = "account.create"
    /// An e-mail looked up to share a vault.
    case accountLookup = "account.lookup"
    /// The passphrase changed (spec §4).
    case accountPassphrase = "account.passphrase"
    /// A session ended.
    case authLogout = "auth.logout"
    /// A bearer session token was checked (failures only).
    case authSession = "auth.session"
    /// An SRP login (spec §8).
    case authSRP = "auth.srp"
    /// A machine credential was checked (failures only; a success is `machine.pull`).
    case authMachine = "auth.machine"
    /// A vault was created.
    case vaultCreate = "vault.create"
    /// A vault was deleted.
    case vaultDelete = "vault.delete"
    /// A vault was rekeyed (spec §5.3).
    case vaultRekey = "vault.rekey"
    /// The slot list was read.
    case slotList = "slot.list"
    /// A share was offered.
    case shareCreate = "share.create"
    /// A share was removed by the owner.
    case shareDelete = "share.delete"
    /// A share was accepted by its recipient.
    case shareAccept = "share.accept"
    /// A share was declined or left by its recipient.
    case shareDecline = "share.decline"
    /// The items were listed.
    case itemList = "item.list"
    /// An item was written.
    case itemPut = "item.put"
    /// An item was deleted.
    case itemDelete = "item.delete"
    /// Items were read by key ref.
    case itemBatchGet = "item.batch_get"
    /// The audit log was read.
    case auditRead = "audit.read"
    /// A machine slot was created (spec §6.2).
    case machineCreate = "machine.create"
    /// The machine slots were listed.
    case machineList = "machine.list"
    /// A machine slot was revoked.
    case machineRevoke = "machine.revoke"
    /// A machine pulled its vault (spec §6.2).
    case machinePull = "machine.pull"
    /// `/readyz` proved the database writable (a row nobody reads).
    case readyzProbe = "readyz.probe"
}

/// How an audited action ended (`outcome` in `docs/openapi.yaml`).
public enum AuditOutcome: String, Sendable, CaseIterable {
    /// Done.
    case ok
    /// Refused: no access, or not allowed by the caller's slot.
    case denied
    /// A credential did not verify.
    case failed
    /// Refused while the credential's failure counter blocks it.
    case throttled
    /// Refused by a rate limit.
    case limited
}

/// Who acted (`actor_kind` in `docs/openapi.yaml`).
public enum AuditActorKind: String, Sendable, CaseIterable {
    /// A human, by session or login.
    case account
    /// A machine slot.
    case machine
    /// Nobody known: a malformed or unknown credential.
    case anonymous
}
