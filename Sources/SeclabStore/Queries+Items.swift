import SQLKit

extension Transaction {
    /// Latest-only write; a put on a tombstone revives it (spec §7).
    public func putItem(vaultID: String, _ item: ItemRecord) async throws {
        try await writeItemRow(vaultID: vaultID, item)
        try await bumpRevision(vaultID: vaultID)
    }

    /// The row write of `putItem`, for callers that bump the revision once themselves.
    func writeItemRow(vaultID: String, _ item: ItemRecord) async throws {
        try await sql.raw("""
            INSERT INTO items (vault_id, key_ref, enc_name, enc_value, updated_at, deleted)
            VALUES (\(bind: vaultID), \(bind: item.keyRef), \(bind: item.encName), \(bind: item.encValue), \(bind: item.updatedAt), 0)
            ON CONFLICT (vault_id, key_ref) DO UPDATE SET enc_name = excluded.enc_name, enc_value = excluded.enc_value,
                updated_at = excluded.updated_at, deleted = 0
            """).run()
    }

    /// Mark the vault's items or keys as changed. Runs in the writer's transaction, so a pull
    /// that reads the same revision before and after reading the items saw none of a change
    /// (the pull cache's validity rule).
    public func bumpRevision(vaultID: String) async throws {
        try await sql.raw("UPDATE vaults SET revision = revision + 1 WHERE vault_id = \(bind: vaultID)").run()
    }

    /// Tombstone a live item, clearing its ciphertext; false when there was no live item.
    public func deleteItem(vaultID: String, keyRef: String, now: Int64) async throws -> Bool {
        let rows = try await sql.raw("""
            UPDATE items SET deleted = 1, enc_name = '', enc_value = '', updated_at = \(bind: now)
            WHERE vault_id = \(bind: vaultID) AND key_ref = \(bind: keyRef) AND deleted = 0
            RETURNING key_ref
            """).all()
        if !rows.isEmpty { try await bumpRevision(vaultID: vaultID) }
        return !rows.isEmpty
    }

    /// Every item of a vault, tombstones only when asked.
    public func items(vaultID: String, includeDeleted: Bool) async throws -> [ItemRecord] {
        try await sql.raw("""
            SELECT key_ref, enc_name, enc_value, updated_at, deleted FROM items
            WHERE vault_id = \(bind: vaultID) \(unsafeRaw: includeDeleted ? "" : "AND deleted = 0")
            ORDER BY key_ref
            """).all(decoding: ItemRecord.self)
    }

    /// The live items among `keyRefs` (missing and deleted refs are simply absent).
    public func items(vaultID: String, keyRefs: [String]) async throws -> [ItemRecord] {
        var out: [ItemRecord] = []
        var start = 0
        // Chunks keep every statement under both engines' bind-parameter limits.
        while start < keyRefs.count {
            let chunk = Array(keyRefs[start..<min(start + 500, keyRefs.count)])
            start += chunk.count
            out += try await sql.raw("""
                SELECT key_ref, enc_name, enc_value, updated_at, deleted FROM items
                WHERE vault_id = \(bind: vaultID) AND deleted = 0 AND key_ref IN (\(binds: chunk))
                """).all(decoding: ItemRecord.self)
        }
        return out.sorted { $0.keyRef < $1.keyRef }
    }

    /// Rekey: lock the vault, check the slot set, swap names, keys, every wrap and the whole
    /// item set. Runs inside the caller's write transaction, so it is all or nothing.
    public func rekeyVault(vaultID: String, ownerAccountID: String, encName: String, wrappedIndexKey: String, slots: [SlotRekey], items: [ItemRecord], now: Int64) async throws {
        guard try await sql.raw("SELECT vault_id FROM vaults WHERE vault_id = \(bind: vaultID) AND deleted_at IS NULL\(unsafeRaw: dialect.forUpdate)").first() != nil else {
            throw StoreError.notFound("vault")
        }
        let current = try await allSlots(vaultID: vaultID)
        let byID = Dictionary(uniqueKeysWithValues: current.map { ($0.slotID, $0) })
        guard Set(current.map(\.slotID)) == Set(slots.map(\.slotID)), current.count == slots.count else {
            throw StoreError.conflict("the rekey must re-wrap exactly the vault's current slots (\(current.count)); list them again and retry")
        }
        for slot in slots {
            let existing = byID[slot.slotID]!
            let isMachine = existing.kind == SlotKind.machine.rawValue
            guard slot.wrappedVK.hasPrefix(isMachine ? "xc1." : "hp1.") else {
                throw StoreError.conflict("slot \(slot.slotID) is a \(existing.kind) slot: its wrapped_vk must be \(isMachine ? "xc1." : "hp1.")")
            }
            guard isMachine || (slot.unwrapKeyEscrow == nil && slot.encLabel == nil) else {
                throw StoreError.conflict("slot \(slot.slotID) is a \(existing.kind) slot: unwrap_key_escrow and enc_label apply to machine slots only")
            }
            try await sql.raw("""
                UPDATE slots SET wrapped_vk = \(bind: slot.wrappedVK),
                    unwrap_key_escrow = COALESCE(\(bind: slot.unwrapKeyEscrow), unwrap_key_escrow),
                    enc_label = COALESCE(\(bind: slot.encLabel), enc_label),
                    granted_by = \(bind: ownerAccountID)
                WHERE slot_id = \(bind: slot.slotID)
                """).run()
        }
        try await sql.raw("""
            UPDATE vaults SET enc_name = \(bind: encName), wrapped_index_key = \(bind: wrappedIndexKey), updated_at = \(bind: now),
                revision = revision + 1
            WHERE vault_id = \(bind: vaultID)
            """).run()
        try await sql.raw("DELETE FROM items WHERE vault_id = \(bind: vaultID)").run()
        for item in items { try await writeItemRow(vaultID: vaultID, item) }
    }
}

/// One slot's new wrap in a rekey.
public struct SlotRekey: Sendable, Equatable {
    /// Slot.
    public var slotID: String
    /// New wrap.
    public var wrappedVK: String
    /// Machine slots: new escrow, or nil to keep.
    public var unwrapKeyEscrow: String?
    /// Machine slots: new label, or nil to keep.
    public var encLabel: String?
    /// Memberwise.
    public init(slotID: String, wrappedVK: String, unwrapKeyEscrow: String?, encLabel: String?) {
        self.slotID = slotID; self.wrappedVK = wrappedVK; self.unwrapKeyEscrow = unwrapKeyEscrow; self.encLabel = encLabel
    }
}
