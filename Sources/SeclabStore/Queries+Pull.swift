import SeclabAPI
import SQLKit

/// What a machine pull needs before it authenticates, read in one statement: the throttle of
/// its keys and, when the slot exists in a live vault, the slot, the vault's keys and revision.
public struct MachinePullState: Sendable, Equatable {
    /// The slot's `blocked_until`, nil when it never was blocked.
    public var blockedUntil: Int64?
    /// True when the slot has a failure counter (a success then clears it).
    public var hasFailures: Bool = false
    /// The slot and its vault, nil when there is no such machine slot in a live vault.
    public var slot: Slot?

    /// A machine slot with its vault's keys.
    public struct Slot: Sendable, Equatable {
        /// Slot.
        public var slotID: String
        /// Vault.
        public var vaultID: String
        /// Vault owner (AAD input, spec §6).
        public var ownerAccountID: String
        /// `xc1.` VK under the slot's unwrap key.
        public var wrappedVK: String
        /// `xc1.` index key under the VK.
        public var wrappedIndexKey: String
        /// `crypto_pwhash_str` of the auth secret.
        public var authHash: String
        /// The vault's revision (see migration 2).
        public var revision: Int64
        /// The slot's CI identity binding (storage text), nil when unbound (migration 5).
        public var oidcPolicy: String? = nil
    }
}

/// The columns of `machinePullState`, all optional because the slot side of the join may be absent.
private struct PullStateRow: Decodable {
    var blockedUntil: Int64?
    var failures: Int64?
    var slotID: String?
    var vaultID: String?
    var ownerAccountID: String?
    var wrappedVK: String?
    var wrappedIndexKey: String?
    var authHash: String?
    var revision: Int64?
    var oidcPolicy: String?
    enum CodingKeys: String, CodingKey {
        case blockedUntil = "blocked_until", failures, slotID = "slot_id", vaultID = "vault_id", ownerAccountID = "owner_account_id"
        case wrappedVK = "wrapped_vk", wrappedIndexKey = "wrapped_index_key", authHash = "auth_hash", revision
        case oidcPolicy = "oidc_policy"
    }
}

extension Transaction {
    /// The throttle of the slot and the machine slot `slotID` with its vault, in one
    /// statement: a pull's only read before it knows whether it may run Argon2id.
    public func machinePullState(slotID: String) async throws -> MachinePullState {
        let key = ThrottleKey.slot(slotID).text
        let row = try await sql.raw("""
            SELECT (SELECT MAX(blocked_until) FROM throttles WHERE throttle_key = \(bind: key)) AS blocked_until,
                (SELECT MAX(failures) FROM throttles WHERE throttle_key = \(bind: key)) AS failures,
                s.slot_id, s.vault_id, v.owner_account_id, s.wrapped_vk, v.wrapped_index_key, s.auth_hash, v.revision, s.oidc_policy
            FROM (SELECT 1 AS probe) AS p
            LEFT JOIN slots s ON s.slot_id = \(bind: slotID) AND s.kind = 'machine'
            LEFT JOIN vaults v ON v.vault_id = s.vault_id AND v.deleted_at IS NULL
            """).first(decoding: PullStateRow.self)
        guard let row else { return MachinePullState(blockedUntil: nil, slot: nil) }
        var slot: MachinePullState.Slot?
        if let slotID = row.slotID, let vaultID = row.vaultID, let owner = row.ownerAccountID, let wrappedVK = row.wrappedVK,
           let wrappedIndexKey = row.wrappedIndexKey, let authHash = row.authHash, let revision = row.revision {
            slot = .init(slotID: slotID, vaultID: vaultID, ownerAccountID: owner, wrappedVK: wrappedVK,
                         wrappedIndexKey: wrappedIndexKey, authHash: authHash, revision: revision, oidcPolicy: row.oidcPolicy)
        }
        return MachinePullState(blockedUntil: row.blockedUntil, hasFailures: (row.failures ?? 0) > 0, slot: slot)
    }

    /// A live vault's revision, nil when the vault is gone.
    public func vaultRevision(vaultID: String) async throws -> Int64? {
        try await sql.raw("SELECT revision FROM vaults WHERE vault_id = \(bind: vaultID) AND deleted_at IS NULL")
            .first(decodingColumn: "revision", as: Int64.self)
    }
}

/// One successful pull's audit row, written only while its slot holds `authHash`.
public struct PullAudit: Sendable {
    /// Unix ms.
    public var time: Int64
    /// The machine slot (also the actor).
    public var slotID: String
    /// Its vault.
    public var vaultID: String
    /// The first `AuditRecord.maxKeyRefs` key refs asked for, comma-joined (empty for "all").
    public var keyRefs: String
    /// How many key refs were asked for.
    public var keyRefCount: Int64
    /// The client's address.
    public var clientAddress: String?
    /// The `crypto_pwhash_str` the pull was verified against.
    public var authHash: String
    /// The vault revision the answer was built for, or nil when the pull already checked it
    /// (a pull that skipped its first read must find the revision unchanged).
    public var expectedRevision: Int64?
    /// The throttle key that must not be blocked at `time`, or nil when the pull already checked it.
    public var throttleKey: ThrottleKey?
    /// The audit row's `detail`: a bound slot's verified CI identity claims, nil otherwise.
    public var detail: String?

    /// Memberwise; `keyRefs` is cut to its first `AuditRecord.maxKeyRefs` (a row's size is bounded).
    public init(time: Int64, slotID: String, vaultID: String, keyRefs: [String], clientAddress: String?, authHash: String,
                expectedRevision: Int64? = nil, throttleKey: ThrottleKey? = nil, detail: String? = nil) {
        self.time = time; self.slotID = slotID; self.vaultID = vaultID
        self.keyRefs = keyRefs.prefix(AuditRecord.maxKeyRefs).joined(separator: ","); self.keyRefCount = Int64(keyRefs.count)
        self.clientAddress = clientAddress; self.authHash = authHash
        self.expectedRevision = expectedRevision; self.throttleKey = throttleKey; self.detail = detail
    }

    /// What the statement answers per row: rows with the same slot and address answer alike.
    public struct Outcome: Hashable, Sendable {
        /// The machine slot.
        public var slotID: String
        /// The client's address, if known.
        public var clientAddress: String?
    }

    /// This row's `Outcome`.
    public var outcome: Outcome { Outcome(slotID: slotID, clientAddress: clientAddress) }

    /// The conditions the statement checks for this row; rows of one `Outcome` in one batch
    /// must share them, because the statement answers per slot and address.
    public struct Conditions: Hashable, Sendable {
        /// The verified hash.
        public var authHash: String
        /// The revision that must hold, if any.
        public var expectedRevision: Int64?
        /// The throttle that must not block, if any.
        public var throttleKey: ThrottleKey?
    }

    /// This row's `Conditions`.
    public var conditions: Conditions { Conditions(authHash: authHash, expectedRevision: expectedRevision, throttleKey: throttleKey) }
}

extension Transaction {
    /// Insert the audit rows of `pulls` whose slot exists (in a live vault) with the hash each
    /// was verified against (and, where asked, the revision unchanged and no throttle), in one
    /// statement; returns the `Outcome`s of the rows written.
    /// Why one statement: it is atomic on both engines, so a row and its revocation check
    /// cannot disagree, and many concurrent pulls cost one write (PullAuditWriter).
    public func auditPulls(_ pulls: [PullAudit]) async throws -> Set<PullAudit.Outcome> {
        guard !pulls.isEmpty else { return [] }
        let rows = pulls.map { pull -> SQLQueryString in
            // An unchecked throttle is a NULL key, which matches no row. An unchecked revision is
            // -1 in the statement only (revisions start at 0): a typed NULL in a VALUES list is
            // not portable between the two engines.
            return """
                (\(bind: pull.time), \(bind: pull.slotID), \(bind: pull.vaultID), \(bind: pull.keyRefs), \(bind: pull.clientAddress), \
                \(bind: pull.authHash), \(bind: pull.expectedRevision ?? -1), \(bind: pull.throttleKey?.text), \(bind: pull.keyRefCount), \(bind: pull.detail))
                """
        }.joined(separator: ", ")
        // VALUES columns are named column1…column10 on both SQLite and PostgreSQL.
        let written = try await sql.raw("""
            INSERT INTO audit_events (time, actor_id, actor_kind, action, vault_id, slot_id, target_account_id, key_refs,
                                      client_address, outcome, occurrences, key_ref_count, detail)
            SELECT b.column1, b.column2, '\(unsafeRaw: AuditActorKind.machine.rawValue)', '\(unsafeRaw: AuditAction.machinePull.rawValue)',
                   b.column3, b.column2, NULL, b.column4, b.column5, '\(unsafeRaw: AuditOutcome.ok.rawValue)', 1, b.column9,
                   b.column10
            FROM (VALUES \(rows)) AS b
            WHERE EXISTS (SELECT 1 FROM slots s JOIN vaults v ON v.vault_id = s.vault_id
                          WHERE s.slot_id = b.column2 AND s.kind = 'machine' AND s.auth_hash = b.column6 AND v.deleted_at IS NULL
                                AND (b.column7 < 0 OR v.revision = b.column7))
              AND NOT EXISTS (SELECT 1 FROM throttles t WHERE t.throttle_key = b.column8 AND t.blocked_until > b.column1)
            RETURNING slot_id, client_address
            """).all()
        return Set(try written.map { row in
            let address = try row.decodeNil(column: "client_address") ? nil : try row.decode(column: "client_address", as: String.self)
            return PullAudit.Outcome(slotID: try row.decode(column: "slot_id", as: String.self), clientAddress: address)
        })
    }
}
