import SQLKit

extension Transaction {
    /// Append an audit row. Callers write it inside the action's own transaction, so a
    /// failed audit write fails the action (fail closed).
    public func audit(_ event: AuditRecord) async throws {
        try await sql.raw("""
            INSERT INTO audit_events (time, actor_id, actor_kind, action, vault_id, slot_id, target_account_id, key_refs,
                                      client_address, outcome, occurrences, key_ref_count, detail)
            VALUES (\(bind: event.time), \(bind: event.actorID), \(bind: event.actorKind), \(bind: event.action),
                    \(bind: event.vaultID), \(bind: event.slotID), \(bind: event.targetAccountID), \(bind: event.keyRefs),
                    \(bind: event.clientAddress), \(bind: event.outcome), \(bind: event.occurrences), \(bind: event.keyRefCount), \(bind: event.detail))
            """).run()
    }

    /// A vault's audit rows, newest first: at most `limit` rows older than `before` (an event
    /// id from a cursor) that match `filter`. Each row comes with its event id, the cursor of
    /// the next page.
    public func auditEvents(vaultID: String, filter: AuditFilter = AuditFilter(), before: Int64? = nil, limit: Int) async throws -> [(id: Int64, record: AuditRecord)] {
        var query: SQLQueryString = """
            SELECT event_id, time, actor_id, actor_kind, action, vault_id, slot_id, target_account_id, key_refs, client_address,
                   outcome, occurrences, key_ref_count, detail
            FROM audit_events WHERE vault_id = \(bind: vaultID)
            """
        if let before { query += " AND event_id < \(bind: before)" }
        if let action = filter.action { query += " AND action = \(bind: action)" }
        if let actor = filter.actorID { query += " AND actor_id = \(bind: actor)" }
        if let since = filter.since { query += " AND time >= \(bind: since)" }
        query += " ORDER BY event_id DESC LIMIT \(literal: limit)"
        return try await sql.raw(query).all().map { row in
            (try row.decode(column: "event_id", as: Int64.self), try row.decode(model: AuditRecord.self))
        }
    }
}

/// Which audit rows a reader wants (`--action`, `--actor`, `--since`).
public struct AuditFilter: Sendable, Equatable {
    /// Exact action name, e.g. `item.put`.
    public var action: String?
    /// Exact actor id (account or slot).
    public var actorID: String?
    /// Rows at or after this Unix ms.
    public var since: Int64?

    /// Memberwise.
    public init(action: String? = nil, actorID: String? = nil, since: Int64? = nil) {
        self.action = action; self.actorID = actorID; self.since = since
    }
}
