/// `PUT /v1/vaults/{vault_id}/items/{key_ref}` (spec §7: latest-only, revives a tombstone).
public struct PutItemRequest: ValidatedRequest, Equatable {
    /// `xc1.` name under the VK.
    public var encName: String
    /// `xc1.` value under the VK.
    public var encValue: String
    enum CodingKeys: String, CodingKey { case encName = "enc_name", encValue = "enc_value" }
    /// Memberwise.
    public init(encName: String, encValue: String) { self.encName = encName; self.encValue = encValue }
    /// Check structure and the spec §7 size limits (name ≤ 256 B, value ≤ 1 MiB).
    public func validate() throws(APIValidationError) {
        try WireCheck.aeadBlob(encName, field: "enc_name", maxPlaintext: WireLimits.maxNameBytes)
        try WireCheck.aeadBlob(encValue, field: "enc_value", maxPlaintext: WireLimits.maxValueBytes)
    }
}

/// One item as stored: ciphertext only.
public struct ItemView: Codable, Sendable, Equatable {
    /// b64u key ref.
    public var keyRef: String
    /// `xc1.` name (empty string for a tombstone).
    public var encName: String
    /// `xc1.` value (empty string for a tombstone).
    public var encValue: String
    /// RFC 3339 time of the last write or delete.
    public var updatedAt: String
    /// True for a tombstone.
    public var deleted: Bool
    /// The wire names; the pull's reader and writer (`PullWire`) spell them from here.
    enum CodingKeys: String, CodingKey, CaseIterable {
        case keyRef = "key_ref", encName = "enc_name", encValue = "enc_value", updatedAt = "updated_at", deleted
    }
    /// Memberwise.
    public init(keyRef: String, encName: String, encValue: String, updatedAt: String, deleted: Bool) {
        self.keyRef = keyRef; self.encName = encName; self.encValue = encValue; self.updatedAt = updatedAt; self.deleted = deleted
    }
}

/// `GET …/items` and `POST …/items/batch-get` response.
public struct ItemList: Codable, Sendable, Equatable {
    /// The items.
    public var items: [ItemView]
    /// Memberwise.
    public init(items: [ItemView]) { self.items = items }
}

/// `POST /v1/vaults/{vault_id}/items/batch-get`.
public struct BatchGetRequest: ValidatedRequest, Equatable {
    /// The refs to fetch.
    public var keyRefs: [String]
    enum CodingKeys: String, CodingKey { case keyRefs = "key_refs" }
    /// Memberwise.
    public init(keyRefs: [String]) { self.keyRefs = keyRefs }
    /// Check structure.
    public func validate() throws(APIValidationError) {
        guard keyRefs.count <= WireLimits.maxKeyRefsPerRequest else {
            throw APIValidationError(field: "key_refs", reason: "at most \(WireLimits.maxKeyRefsPerRequest) entries")
        }
        for (index, ref) in keyRefs.enumerated() { try WireCheck.keyRef(ref, field: "key_refs[\(index)]") }
    }
}

/// One slot's new wrap in a rekey.
public struct RekeySlot: Codable, Sendable, Equatable {
    /// An existing slot of the vault.
    public var slotID: String
    /// `hp1.` (owner/share) or `xc1.` (machine) wrap of the new VK.
    public var wrappedVK: String
    /// Machine slots only: a fresh `hp1.` escrow (optional; the old one stays otherwise).
    public var unwrapKeyEscrow: String?
    /// Machine slots only: the label re-encrypted under the new VK.
    public var encLabel: String?
    enum CodingKeys: String, CodingKey {
        case slotID = "slot_id", wrappedVK = "wrapped_vk", unwrapKeyEscrow = "unwrap_key_escrow", encLabel = "enc_label"
    }
    /// Memberwise.
    public init(slotID: String, wrappedVK: String, unwrapKeyEscrow: String? = nil, encLabel: String? = nil) {
        self.slotID = slotID; self.wrappedVK = wrappedVK; self.unwrapKeyEscrow = unwrapKeyEscrow; self.encLabel = encLabel
    }
}

/// One item re-encrypted under the new VK.
public struct RekeyItem: Codable, Sendable, Equatable {
    /// b64u key ref (a new index key gives new refs).
    public var keyRef: String
    /// `xc1.` name.
    public var encName: String
    /// `xc1.` value.
    public var encValue: String
    enum CodingKeys: String, CodingKey { case keyRef = "key_ref", encName = "enc_name", encValue = "enc_value" }
    /// Memberwise.
    public init(keyRef: String, encName: String, encValue: String) { self.keyRef = keyRef; self.encName = encName; self.encValue = encValue }
}

/// `POST /v1/vaults/{vault_id}/rekey`: new name, index key, every slot's wrap and the whole
/// live item set, swapped in one transaction. The slot set must equal the current one.
public struct RekeyRequest: ValidatedRequest, Equatable {
    /// `xc1.` name under the new VK.
    public var encName: String
    /// `xc1.` new index key under the new VK.
    public var wrappedIndexKey: String
    /// Every live slot, each once.
    public var slots: [RekeySlot]
    /// The complete new live item set (tombstones are dropped).
    public var items: [RekeyItem]
    enum CodingKeys: String, CodingKey { case encName = "enc_name", wrappedIndexKey = "wrapped_index_key", slots, items }
    /// Memberwise.
    public init(encName: String, wrappedIndexKey: String, slots: [RekeySlot], items: [RekeyItem]) {
        self.encName = encName; self.wrappedIndexKey = wrappedIndexKey; self.slots = slots; self.items = items
    }
    /// Check structure; whether a wrap must be `hp1.` or `xc1.` depends on the slot's kind,
    /// which the server checks against the database.
    public func validate() throws(APIValidationError) {
        try WireCheck.aeadBlob(encName, field: "enc_name", maxPlaintext: WireLimits.maxLabelBytes)
        try WireCheck.aeadBlob(wrappedIndexKey, field: "wrapped_index_key", maxPlaintext: WireLimits.maxKeyBytes)
        guard items.count <= WireLimits.maxItemsPerRekey else {
            throw APIValidationError(field: "items", reason: "at most \(WireLimits.maxItemsPerRekey) entries")
        }
        for (index, slot) in slots.enumerated() {
            try WireCheck.id(slot.slotID, field: "slots[\(index)].slot_id")
            if slot.wrappedVK.hasPrefix("hp1.") {
                try WireCheck.hpkeWrap(slot.wrappedVK, field: "slots[\(index)].wrapped_vk")
            } else {
                try WireCheck.aeadBlob(slot.wrappedVK, field: "slots[\(index)].wrapped_vk", maxPlaintext: WireLimits.maxKeyBytes)
            }
            if let escrow = slot.unwrapKeyEscrow { try WireCheck.hpkeWrap(escrow, field: "slots[\(index)].unwrap_key_escrow") }
            if let label = slot.encLabel {
                try WireCheck.aeadBlob(label, field: "slots[\(index)].enc_label", maxPlaintext: WireLimits.maxLabelBytes)
            }
        }
        try WireCheck.unique(slots.map(\.slotID), field: "slots")
        for (index, item) in items.enumerated() {
            try WireCheck.keyRef(item.keyRef, field: "items[\(index)].key_ref")
            try WireCheck.aeadBlob(item.encName, field: "items[\(index)].enc_name", maxPlaintext: WireLimits.maxNameBytes)
            try WireCheck.aeadBlob(item.encValue, field: "items[\(index)].enc_value", maxPlaintext: WireLimits.maxValueBytes)
        }
        try WireCheck.unique(items.map(\.keyRef), field: "items")
    }
}
