/// One audit row (spec §10): actions and ids, never content, tokens or secrets.
public struct AuditEvent: Codable, Sendable, Equatable {
    /// RFC 3339 time.
    public var time: String
    /// Account or slot id of the actor, when known.
    public var actorID: String?
    /// `account`, `machine` or `anonymous`.
    public var actorKind: String
    /// e.g. `vault.create`, `item.put`, `machine.pull`, `auth.machine`.
    public var action: String
    /// Vault id, when the action concerns one.
    public var vaultID: String?
    /// Slot id, when the action concerns one.
    public var slotID: String?
    /// Other account concerned (a share's grantee), if any.
    public var targetAccountID: String?
    /// Key refs the action touched (never names).
    public var keyRefs: [String]
    /// The client's address as the server saw it.
    public var clientAddress: String?
    /// `ok`, `denied`, `failed`, `throttled` or `limited`.
    public var outcome: String
    /// How many alike events this row stands for (failures, throttles and denials are counted
    /// per window); absent means 1.
    public var count: Int?
    /// How many key refs the action named when more than `keyRefs` holds; absent means
    /// `keyRefs.count`.
    public var keyRefCount: Int?
    /// A short fact about the action, e.g. `role=read` for a share; never content.
    public var detail: String?
    enum CodingKeys: String, CodingKey {
        case time, actorID = "actor_id", actorKind = "actor_kind", action, vaultID = "vault_id", slotID = "slot_id"
        case targetAccountID = "target_account_id", keyRefs = "key_refs", clientAddress = "client_address", outcome
        case count, keyRefCount = "key_ref_count", detail
    }
    /// Memberwise.
    public init(time: String, actorID: String?, actorKind: String, action: String, vaultID: String?, slotID: String?, targetAccountID: String?, keyRefs: [String], clientAddress: String?, outcome: String, count: Int? = nil, keyRefCount: Int? = nil, detail: String? = nil) {
        self.time = time; self.actorID = actorID; self.actorKind = actorKind; self.action = action; self.vaultID = vaultID
        self.slotID = slotID; self.targetAccountID = targetAccountID; self.keyRefs = keyRefs
        self.clientAddress = clientAddress; self.outcome = outcome; self.count = count; self.keyRefCount = keyRefCount
        self.detail = detail
    }
}

/// `GET /v1/vaults/{vault_id}/audit` response, newest first.
public struct AuditList: Codable, Sendable, Equatable {
    /// The rows.
    public var events: [AuditEvent]
    /// Opaque: pass it back as `cursor` (with the same filters) for the next, older page;
    /// absent on the last page.
    public var nextCursor: String?
    enum CodingKeys: String, CodingKey { case events, nextCursor = "next_cursor" }
    /// Memberwise.
    public init(events: [AuditEvent], nextCursor: String? = nil) { self.events = events; self.nextCursor = nextCursor }
}
