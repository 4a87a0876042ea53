/// `POST /v1/vaults/{vault_id}/machines` (spec §6.2).
public struct CreateMachineSlotRequest: ValidatedRequest, Equatable {
    /// Client-made UUIDv4; also part of the machine credential text.
    public var slotID: String
    /// `xc1.` label under the VK.
    public var encLabel: String
    /// `xc1.` VK under the slot's unwrap key.
    public var wrappedVK: String
    /// `hp1.` owner escrow of the unwrap key (spec §6.2).
    public var unwrapKeyEscrow: String
    /// b64u 32 bytes. The server keeps only `crypto_pwhash_str(auth_secret, m1)`.
    public var authSecret: String
    /// Optional CI identity binding; absent: an unbound slot, as before.
    public var oidcBinding: OIDCBinding?
    enum CodingKeys: String, CodingKey {
        case slotID = "slot_id", encLabel = "enc_label", wrappedVK = "wrapped_vk"
        case unwrapKeyEscrow = "unwrap_key_escrow", authSecret = "auth_secret", oidcBinding = "oidc_binding"
    }
    /// Memberwise.
    public init(slotID: String, encLabel: String, wrappedVK: String, unwrapKeyEscrow: String, authSecret: String,
                oidcBinding: OIDCBinding? = nil) {
        self.slotID = slotID; self.encLabel = encLabel; self.wrappedVK = wrappedVK
        self.unwrapKeyEscrow = unwrapKeyEscrow; self.authSecret = authSecret; self.oidcBinding = oidcBinding
    }
    /// Check structure.
    public func validate() throws(APIValidationError) {
        try WireCheck.id(slotID, field: "slot_id")
        try WireCheck.aeadBlob(encLabel, field: "enc_label", maxPlaintext: WireLimits.maxLabelBytes)
        try WireCheck.aeadBlob(wrappedVK, field: "wrapped_vk", maxPlaintext: WireLimits.maxKeyBytes)
        try WireCheck.hpkeWrap(unwrapKeyEscrow, field: "unwrap_key_escrow")
        try WireCheck.bytes(authSecret, count: 32, field: "auth_secret")
        try oidcBinding?.validate(field: "oidc_binding")
    }
}

/// A machine slot as its owner sees it: never the auth secret or its hash.
public struct MachineSlotView: Codable, Sendable, Equatable {
    /// Slot id.
    public var slotID: String
    /// `xc1.` label.
    public var encLabel: String
    /// `xc1.` VK under the unwrap key.
    public var wrappedVK: String
    /// `hp1.` escrow of the unwrap key.
    public var unwrapKeyEscrow: String
    /// RFC 3339 creation time.
    public var createdAt: String
    /// RFC 3339 time of the last successful pull, if any.
    public var lastUsedAt: String?
    /// The slot's CI identity binding, absent when unbound.
    public var oidcBinding: OIDCBinding?
    enum CodingKeys: String, CodingKey {
        case slotID = "slot_id", encLabel = "enc_label", wrappedVK = "wrapped_vk"
        case unwrapKeyEscrow = "unwrap_key_escrow", createdAt = "created_at", lastUsedAt = "last_used_at"
        case oidcBinding = "oidc_binding"
    }
    /// Memberwise.
    public init(slotID: String, encLabel: String, wrappedVK: String, unwrapKeyEscrow: String, createdAt: String, lastUsedAt: String?,
                oidcBinding: OIDCBinding? = nil) {
        self.slotID = slotID; self.encLabel = encLabel; self.wrappedVK = wrappedVK
        self.unwrapKeyEscrow = unwrapKeyEscrow; self.createdAt = createdAt; self.lastUsedAt = lastUsedAt
        self.oidcBinding = oidcBinding
    }
}

/// `GET /v1/vaults/{vault_id}/machines` response.
public struct MachineSlotList: Codable, Sendable, Equatable {
    /// Live machine slots.
    public var machines: [MachineSlotView]
    /// Memberwise.
    public init(machines: [MachineSlotView]) { self.machines = machines }
}

/// `POST /v1/machine/pull` body. `key_refs` absent: all live items; present: only those
/// (an empty list pulls only the keys). `if_revision` present: a conditional pull
/// (`--watch`): `{"revision":N,"unchanged":true}` when the vault is still at revision N, else the
/// full answer with its `revision`; -1 never matches.
public struct MachinePullRequest: ValidatedRequest, Equatable {
    /// The refs to fetch, or nil for all.
    public var keyRefs: [String]?
    /// The vault revision the machine already holds (a conditional pull), or nil.
    public var ifRevision: Int64?
    /// The CI job's OpenID Connect token, required by bound slots (docs/security.md, "CI
    /// identity binding"); never logged.
    public var oidcToken: String?
    /// Longest token accepted (GitHub's are about 1–2 KiB).
    public static let maxTokenBytes = 16 * 1024
    /// The wire names; `PullWire.requestBody` spells them from here.
    enum CodingKeys: String, CodingKey { case keyRefs = "key_refs", ifRevision = "if_revision", oidcToken = "oidc_token" }
    /// Memberwise.
    public init(keyRefs: [String]? = nil, ifRevision: Int64? = nil, oidcToken: String? = nil) {
        self.keyRefs = keyRefs; self.ifRevision = ifRevision; self.oidcToken = oidcToken
    }
    /// Check structure.
    public func validate() throws(APIValidationError) {
        if let ifRevision, ifRevision < -1 { throw APIValidationError(field: "if_revision", reason: "a revision, or -1") }
        if let oidcToken, oidcToken.isEmpty || oidcToken.utf8.count > Self.maxTokenBytes {
            throw APIValidationError(field: "oidc_token", reason: "1 to \(Self.maxTokenBytes) characters")
        }
        guard let keyRefs else { return }
        guard keyRefs.count <= WireLimits.maxKeyRefsPerRequest else {
            throw APIValidationError(field: "key_refs", reason: "at most \(WireLimits.maxKeyRefsPerRequest) entries")
        }
        for (index, ref) in keyRefs.enumerated() { try WireCheck.keyRef(ref, field: "key_refs[\(index)]") }
    }
}

/// `POST /v1/machine/pull` response: everything `seclab-run` needs in one round trip.
public struct MachinePullResponse: Codable, Sendable, Equatable {
    /// The vault owner's account id (AAD input, spec §6).
    public var accountID: String
    /// The vault id.
    public var vaultID: String
    /// The slot id.
    public var slotID: String
    /// `xc1.` VK under the unwrap key.
    public var wrappedVK: String
    /// `xc1.` index key under the VK.
    public var wrappedIndexKey: String
    /// Live items (all, or the ones asked for that exist).
    public var items: [ItemView]
    /// The vault revision these items and keys belong to; present only when the request
    /// carried `if_revision`, so an unconditional answer stays byte for byte what it was.
    public var revision: Int64?
    /// The wire names; the pull's reader and writer (`PullWire`) spell them from here.
    enum CodingKeys: String, CodingKey, CaseIterable {
        case accountID = "account_id", vaultID = "vault_id", slotID = "slot_id", wrappedVK = "wrapped_vk"
        case wrappedIndexKey = "wrapped_index_key", items, revision
    }
    /// Memberwise.
    public init(accountID: String, vaultID: String, slotID: String, wrappedVK: String, wrappedIndexKey: String, items: [ItemView],
                revision: Int64? = nil) {
        self.accountID = accountID; self.vaultID = vaultID; self.slotID = slotID
        self.wrappedVK = wrappedVK; self.wrappedIndexKey = wrappedIndexKey; self.items = items; self.revision = revision
    }
}

/// `POST /v1/machine/pull` answer to a conditional pull whose vault has not changed: no keys,
/// no items.
public struct MachinePullUnchanged: Codable, Sendable, Equatable {
    /// The vault's revision, the one the request named.
    public var revision: Int64
    /// Always true.
    public var unchanged: Bool
    /// The wire names; `PullWire` spells them from here.
    enum CodingKeys: String, CodingKey { case revision, unchanged }
    /// Memberwise.
    public init(revision: Int64) { self.revision = revision; self.unchanged = true }
}
