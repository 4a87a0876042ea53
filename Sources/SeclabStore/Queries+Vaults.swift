import SeclabAPI
import SQLKit

/// How a human caller reaches a vault through an accepted slot.
public struct VaultAccess: Codable, Sendable, Equatable {
    /// The vault's owner.
    public var ownerAccountID: String
    /// The caller's slot kind (`owner` or `share`).
    public var kind: String
    /// A share's role (`read` or `write`); nil for the owner.
    public var role: String?
    enum CodingKeys: String, CodingKey { case ownerAccountID = "owner_account_id", kind, role }

    /// Whether the caller may change the vault's items: the owner, or a share with role `write`.
    public var canWriteItems: Bool { kind == SlotKind.owner.rawValue || role == ShareRole.write.rawValue }
}

/// A vault joined with one caller's slot and the public key of whoever granted it.
public struct VaultWithSlot: Codable, Sendable, Equatable {
    /// The vault.
    public var vaultID: String
    /// Its owner.
    public var ownerAccountID: String
    /// `xc1.` name.
    public var encName: String
    /// `xc1.` index key.
    public var wrappedIndexKey: String
    /// The caller's slot.
    public var slotID: String
    /// `owner` or `share`.
    public var kind: String
    /// Recipient.
    public var accountID: String
    /// `hp1.` wrap.
    public var wrappedVK: String
    /// Sender of the wrap.
    public var grantedBy: String
    /// Sender's public key.
    public var grantedByPublicKey: String
    /// Unix ms.
    public var createdAt: Int64
    /// Sender's e-mail, so a recipient sees who invited it (and whom to blame for a bad share).
    public var grantedByEmail: String
    /// A share's role; nil for the owner slot.
    public var role: String?
    /// Unix ms of acceptance; nil while a share is a pending invitation.
    public var acceptedAt: Int64?
    enum CodingKeys: String, CodingKey {
        case vaultID = "vault_id", ownerAccountID = "owner_account_id", encName = "enc_name", wrappedIndexKey = "wrapped_index_key"
        case slotID = "slot_id", kind, accountID = "account_id", wrappedVK = "wrapped_vk", grantedBy = "granted_by"
        case grantedByPublicKey = "granted_by_public_key", createdAt = "created_at", grantedByEmail = "granted_by_email"
        case role, acceptedAt = "accepted_at"
    }
}

/// The columns every human-slot listing selects (vault, slot, granter).
private let humanSlotColumns: SQLQueryString = """
    v.vault_id, v.owner_account_id, v.enc_name, v.wrapped_index_key, s.slot_id, s.kind, s.account_id,
    s.wrapped_vk, s.granted_by, g.public_key AS granted_by_public_key, g.email AS granted_by_email, s.created_at,
    s.role, s.accepted_at
    """

extension Transaction {
    /// Insert a vault and its owner slot; `duplicate` when either id exists.
    public func insertVault(_ vault: VaultRecord, ownerSlot: SlotRecord) async throws {
        let exists = try await sql.raw("SELECT vault_id FROM vaults WHERE vault_id = \(bind: vault.vaultID)").first() != nil
        if exists { throw StoreError.duplicate("vault_id") }
        if try await isRetired(vault.vaultID) { throw StoreError.duplicate("vault_id") }
        do {
            try await sql.raw("""
                INSERT INTO vaults (vault_id, owner_account_id, enc_name, wrapped_index_key, created_at, updated_at)
                VALUES (\(bind: vault.vaultID), \(bind: vault.ownerAccountID), \(bind: vault.encName),
                        \(bind: vault.wrappedIndexKey), \(bind: vault.createdAt), \(bind: vault.updatedAt))
                """).run()
        } catch { throw StoreError.duplicate("vault_id") }
        try await insertSlot(ownerSlot)
    }

    /// Insert any slot; `duplicate` when the id exists or the account already has a slot here.
    public func insertSlot(_ slot: SlotRecord) async throws {
        // Why the tombstone check: spec §11 A1, an id once removed is never issued again, so a
        // revoked machine slot cannot be re-created (in any account) by whoever holds its MK.
        let exists = try await sql.raw("SELECT slot_id FROM slots WHERE slot_id = \(bind: slot.slotID)").first() != nil
        if exists { throw StoreError.duplicate("slot_id") }
        if try await isRetired(slot.slotID) { throw StoreError.duplicate("slot_id") }
        if let accountID = slot.accountID,
           try await sql.raw("SELECT slot_id FROM slots WHERE vault_id = \(bind: slot.vaultID) AND account_id = \(bind: accountID)").first() != nil {
            throw StoreError.duplicate("a slot for this account in this vault")
        }
        do {
            try await sql.raw("""
                INSERT INTO slots (slot_id, vault_id, kind, account_id, granted_by, wrapped_vk, enc_label, unwrap_key_escrow,
                                   auth_hash, created_at, role, accepted_at, oidc_policy)
                VALUES (\(bind: slot.slotID), \(bind: slot.vaultID), \(bind: slot.kind), \(bind: slot.accountID),
                        \(bind: slot.grantedBy), \(bind: slot.wrappedVK), \(bind: slot.encLabel), \(bind: slot.unwrapKeyEscrow),
                        \(bind: slot.authHash), \(bind: slot.createdAt), \(bind: slot.role), \(bind: slot.acceptedAt), \(bind: slot.oidcPolicy))
                """).run()
        } catch { throw StoreError.duplicate("slot_id") }
    }

    /// How `accountID` reaches a live vault through an accepted slot, or nil (not there,
    /// deleted, no slot, or a share not accepted yet: the caller cannot tell which).
    public func vaultAccess(vaultID: String, accountID: String, lock: Bool = false) async throws -> VaultAccess? {
        try await sql.raw("""
            SELECT v.owner_account_id, s.kind, s.role FROM vaults v JOIN slots s ON s.vault_id = v.vault_id
            WHERE v.vault_id = \(bind: vaultID) AND v.deleted_at IS NULL AND s.account_id = \(bind: accountID)
                  AND s.accepted_at IS NOT NULL
            \(unsafeRaw: lock ? dialect.forUpdate : "")
            """).first(decoding: VaultAccess.self)
    }

    /// Whether `id` was a slot or vault id that has been removed (spec §11 A1).
    public func isRetired(_ id: String) async throws -> Bool {
        try await sql.raw("SELECT id FROM retired_ids WHERE id = \(bind: id)").first() != nil
    }

    /// Keep `ids` as tombstones so they are never issued again (spec §11 A1).
    func retire(_ ids: [String], kind: String, now: Int64) async throws {
        for id in ids {
            try await sql.raw("""
                INSERT INTO retired_ids (id, kind, retired_at) VALUES (\(bind: id), \(bind: kind), \(bind: now))
                ON CONFLICT (id) DO NOTHING
                """).run()
        }
    }

    /// The live vault row.
    public func vault(id: String) async throws -> VaultRecord? {
        try await sql.raw("SELECT * FROM vaults WHERE vault_id = \(bind: id) AND deleted_at IS NULL").first(decoding: VaultRecord.self)
    }

    /// Every live vault `accountID` holds an accepted human slot in, with that slot. Pending
    /// invitations are not the recipient's vaults yet (`invitations(accountID:)`).
    public func vaults(accountID: String) async throws -> [VaultWithSlot] {
        try await sql.raw("""
            SELECT \(humanSlotColumns)
            FROM slots s JOIN vaults v ON v.vault_id = s.vault_id JOIN accounts g ON g.account_id = s.granted_by
            WHERE s.account_id = \(bind: accountID) AND v.deleted_at IS NULL AND s.accepted_at IS NOT NULL
            ORDER BY v.created_at, v.vault_id
            """).all(decoding: VaultWithSlot.self)
    }

    /// The shares offered to `accountID` that it has not accepted yet.
    public func invitations(accountID: String) async throws -> [VaultWithSlot] {
        try await sql.raw("""
            SELECT \(humanSlotColumns)
            FROM slots s JOIN vaults v ON v.vault_id = s.vault_id JOIN accounts g ON g.account_id = s.granted_by
            WHERE s.account_id = \(bind: accountID) AND v.deleted_at IS NULL AND s.kind = 'share' AND s.accepted_at IS NULL
            ORDER BY s.created_at, s.slot_id
            """).all(decoding: VaultWithSlot.self)
    }

    /// Accept the pending share of `vaultID` offered to `accountID`; false when there is none.
    public func acceptShare(vaultID: String, accountID: String, now: Int64) async throws -> String? {
        let rows = try await sql.raw("""
            UPDATE slots SET accepted_at = \(bind: now)
            WHERE vault_id = \(bind: vaultID) AND account_id = \(bind: accountID) AND kind = 'share' AND accepted_at IS NULL
              AND EXISTS (SELECT 1 FROM vaults v WHERE v.vault_id = \(bind: vaultID) AND v.deleted_at IS NULL)
            RETURNING slot_id
            """).all()
        return try rows.first?.decode(column: "slot_id", as: String.self)
    }

    /// Remove the share of `vaultID` held by `accountID`, pending (decline) or accepted
    /// (leave); its id is retired. Returns the slot id, nil when there was none.
    public func removeOwnShare(vaultID: String, accountID: String, now: Int64) async throws -> String? {
        let rows = try await sql.raw("""
            DELETE FROM slots WHERE vault_id = \(bind: vaultID) AND account_id = \(bind: accountID) AND kind = 'share'
            RETURNING slot_id
            """).all()
        let ids = try rows.map { try $0.decode(column: "slot_id", as: String.self) }
        try await retire(ids, kind: "slot", now: now)
        return ids.first
    }

    /// Tombstone a vault and drop every credential that reached it: its machine slots stop
    /// working at once, its items' ciphertext is cleared, the removed slot ids are retired.
    public func tombstoneVault(id: String, now: Int64) async throws {
        try await sql.raw("UPDATE vaults SET deleted_at = \(bind: now), updated_at = \(bind: now), revision = revision + 1 WHERE vault_id = \(bind: id)").run()
        let removed = try await sql.raw("DELETE FROM slots WHERE vault_id = \(bind: id) AND kind <> 'owner' RETURNING slot_id").all()
        try await retire(try removed.map { try $0.decode(column: "slot_id", as: String.self) }, kind: "slot", now: now)
        try await sql.raw("DELETE FROM items WHERE vault_id = \(bind: id)").run()
    }

    /// Every slot of a vault, human slots joined with their granter's public key.
    public func humanSlots(vaultID: String) async throws -> [VaultWithSlot] {
        try await sql.raw("""
            SELECT \(humanSlotColumns)
            FROM slots s JOIN vaults v ON v.vault_id = s.vault_id JOIN accounts g ON g.account_id = s.granted_by
            WHERE s.vault_id = \(bind: vaultID) AND s.kind <> 'machine'
            ORDER BY s.created_at, s.slot_id
            """).all(decoding: VaultWithSlot.self)
    }

    /// Every machine slot of a vault.
    public func machineSlots(vaultID: String) async throws -> [SlotRecord] {
        try await sql.raw("""
            SELECT s.slot_id, s.vault_id, s.kind, s.account_id, s.granted_by, s.wrapped_vk, s.enc_label, s.unwrap_key_escrow,
                s.auth_hash, s.created_at, s.oidc_policy,
                COALESCE((SELECT a.time FROM audit_events a
                          WHERE a.slot_id = s.slot_id AND a.action = '\(unsafeRaw: AuditAction.machinePull.rawValue)' AND a.outcome = '\(unsafeRaw: AuditOutcome.ok.rawValue)'
                          ORDER BY a.event_id DESC LIMIT 1), s.last_used_at) AS last_used_at
            FROM slots s WHERE s.vault_id = \(bind: vaultID) AND s.kind = 'machine' ORDER BY s.created_at, s.slot_id
            """).all(decoding: SlotRecord.self)
    }

    /// Every slot of a vault, any kind (rekey).
    public func allSlots(vaultID: String) async throws -> [SlotRecord] {
        try await sql.raw("SELECT * FROM slots WHERE vault_id = \(bind: vaultID)").all(decoding: SlotRecord.self)
    }

    /// Delete a slot of the given kind; returns false when there was none. Revocation is the
    /// row's disappearance, which every replica's next pull sees.
    /// The id is retired in the same transaction (spec §11 A1: never issued again).
    public func deleteSlot(vaultID: String, slotID: String, kind: SlotKind, now: Int64) async throws -> Bool {
        let rows = try await sql.raw("""
            DELETE FROM slots WHERE vault_id = \(bind: vaultID) AND slot_id = \(bind: slotID) AND kind = \(bind: kind.rawValue)
            RETURNING slot_id
            """).all()
        guard !rows.isEmpty else { return false }
        try await retire([slotID], kind: "slot", now: now)
        return true
    }
}
