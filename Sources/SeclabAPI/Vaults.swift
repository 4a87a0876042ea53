/// The owner's own slot, sent with vault creation (spec §6.1: owner is sender and recipient).
public struct OwnerSlot: Codable, Sendable, Equatable {
    /// Client-made UUIDv4.
    public var slotID: String
    /// `hp1.` wrap of the VK.
    public var wrappedVK: String
    enum CodingKeys: String, CodingKey { case slotID = "slot_id", wrappedVK = "wrapped_vk" }
    /// Memberwise.
    public init(slotID: String, wrappedVK: String) { self.slotID = slotID; self.wrappedVK = wrappedVK }
}

/// `POST /v1/vaults`.
public struct CreateVaultRequest: ValidatedRequest, Equatable {
    /// Client-made UUIDv4.
    public var vaultID: String
    /// `xc1.` vault name under the VK (spec §6).
    public var encName: String
    /// `xc1.` index key under the VK (spec §6).
    public var wrappedIndexKey: String
    /// The owner's slot.
    public var ownerSlot: OwnerSlot
    enum CodingKeys: String, CodingKey {
        case vaultID = "vault_id", encName = "enc_name", wrappedIndexKey = "wrapped_index_key", ownerSlot = "owner_slot"
    }
    /// Memberwise.
    public init(vaultID: String, encName: String, wrappedIndexKey: String, ownerSlot: OwnerSlot) {
        self.vaultID = vaultID; self.encName = encName; self.wrappedIndexKey = wrappedIndexKey; self.ownerSlot = ownerSlot
    }
    /// Check structure.
    public func validate() throws(APIValidationError) {
        try WireCheck.id(vaultID, field: "vault_id")
        try WireCheck.aeadBlob(encName, field: "enc_name", maxPlaintext: WireLimits.maxLabelBytes)
        try WireCheck.aeadBlob(wrappedIndexKey, field: "wrapped_index_key", maxPlaintext: WireLimits.maxKeyBytes)
        try WireCheck.id(ownerSlot.slotID, field: "owner_slot.slot_id")
        try WireCheck.hpkeWrap(ownerSlot.wrappedVK, field: "owner_slot.wrapped_vk")
    }
}

/// One vault as its caller sees it, with the caller's own slot.
public struct VaultSummary: Codable, Sendable, Equatable {
    /// Vault id.
    public var vaultID: String
    /// The owner's account id (the `account_id` of every AAD in this vault, spec §6).
    public var ownerAccountID: String
    /// `xc1.` name.
    public var encName: String
    /// `xc1.` index key.
    public var wrappedIndexKey: String
    /// The caller's slot.
    public var slot: SlotView
    enum CodingKeys: String, CodingKey {
        case vaultID = "vault_id", ownerAccountID = "owner_account_id", encName = "enc_name"
        case wrappedIndexKey = "wrapped_index_key", slot
    }
    /// Memberwise.
    public init(vaultID: String, ownerAccountID: String, encName: String, wrappedIndexKey: String, slot: SlotView) {
        self.vaultID = vaultID; self.ownerAccountID = ownerAccountID; self.encName = encName
        self.wrappedIndexKey = wrappedIndexKey; self.slot = slot
    }
}

/// `GET /v1/vaults` response.
public struct VaultList: Codable, Sendable, Equatable {
    /// Live vaults the caller holds a slot in.
    public var vaults: [VaultSummary]
    /// Memberwise.
    public init(vaults: [VaultSummary]) { self.vaults = vaults }
}

/// A human slot (owner or share) as stored.
public struct SlotView: Codable, Sendable, Equatable {
    /// Slot id.
    public var slotID: String
    /// `owner` or `share`.
    public var kind: String
    /// Recipient account.
    public var accountID: String
    /// `hp1.` wrap of the VK.
    public var wrappedVK: String
    /// The account that made the wrap (HPKE sender, spec §6.1).
    public var grantedBy: String
    /// That account's public key: the recipient opens the wrap with it (after checking it).
    public var grantedByPublicKey: String
    /// RFC 3339 creation time.
    public var createdAt: String
    /// The granting account's e-mail, so a recipient sees who shared (or who to blame).
    public var grantedByEmail: String?
    /// `owner`, or a share's `read` / `write`.
    public var role: String?
    /// False while a share is an invitation its recipient has not accepted.
    public var accepted: Bool?
    enum CodingKeys: String, CodingKey {
        case slotID = "slot_id", kind, accountID = "account_id", wrappedVK = "wrapped_vk"
        case grantedBy = "granted_by", grantedByPublicKey = "granted_by_public_key", createdAt = "created_at"
        case grantedByEmail = "granted_by_email", role, accepted
    }
    /// Memberwise.
    public init(slotID: String, kind: String, accountID: String, wrappedVK: String, grantedBy: String, grantedByPublicKey: String, createdAt: String,
                grantedByEmail: String? = nil, role: String? = nil, accepted: Bool? = nil) {
        self.slotID = slotID; self.kind = kind; self.accountID = accountID; self.wrappedVK = wrappedVK
        self.grantedBy = grantedBy; self.grantedByPublicKey = grantedByPublicKey; self.createdAt = createdAt
        self.grantedByEmail = grantedByEmail; self.role = role; self.accepted = accepted
    }
}

/// `GET /v1/vaults/{vault_id}/slots` response (owner only).
public struct SlotList: Codable, Sendable, Equatable {
    /// Owner and share slots.
    public var slots: [SlotView]
    /// Machine slots (without any credential material).
    public var machines: [MachineSlotView]
    /// Memberwise.
    public init(slots: [SlotView], machines: [MachineSlotView]) { self.slots = slots; self.machines = machines }
}

/// `POST /v1/vaults/{vault_id}/shares`.
public struct CreateShareRequest: ValidatedRequest, Equatable {
    /// Client-made UUIDv4.
    public var slotID: String
    /// The grantee.
    public var accountID: String
    /// `hp1.` wrap of the VK to the grantee, sent by the caller (spec §6.1).
    public var wrappedVK: String
    /// `read` (the default when absent) or `write`.
    public var role: String?
    enum CodingKeys: String, CodingKey { case slotID = "slot_id", accountID = "account_id", wrappedVK = "wrapped_vk", role }
    /// Memberwise.
    public init(slotID: String, accountID: String, wrappedVK: String, role: String? = nil) {
        self.slotID = slotID; self.accountID = accountID; self.wrappedVK = wrappedVK; self.role = role
    }
    /// Check structure.
    public func validate() throws(APIValidationError) {
        try WireCheck.id(slotID, field: "slot_id")
        try WireCheck.id(accountID, field: "account_id")
        try WireCheck.hpkeWrap(wrappedVK, field: "wrapped_vk")
        if let role, role != "read" && role != "write" {
            throw APIValidationError(field: "role", reason: "must be read or write")
        }
    }
}

/// `GET /v1/invitations` response: shares offered to the caller and not accepted yet. Each
/// carries the vault's encrypted name, so the recipient can see what it is before accepting.
public struct InvitationList: Codable, Sendable, Equatable {
    /// Pending shares, with the sender's id, e-mail and public key in `slot`.
    public var invitations: [VaultSummary]
    /// Memberwise.
    public init(invitations: [VaultSummary]) { self.invitations = invitations }
}
