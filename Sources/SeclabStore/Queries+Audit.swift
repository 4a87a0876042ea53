import SQLKit

extension Transaction {
    /// Append an audit row. Callers write it inside the action's own transaction, so a
    /// failed audit write fails the action (issue 3: fail closed).
    public func audit(_ event: AuditRecord) async throws {
        try await sql.raw("""
            INSERT INTO audit_events (time, actor_id, actor_kind, action, vault_id, slot_id, target_account_id, key_refs,
                                      client_address, outcome, detail)
            VALUES (\(bind: event.time), \(bind: event.actorID), \(bind: event.actorKind), \(bind: event.action),
                    \(bind: event.vaultID), \(bind: event.slotID), \(bind: event.targetAccountID), \(bind: event.keyRefs),
                    \(bind: event.clientAddress), \(bind: event.outcome), \(bind: event.detail))
            """).run()
    }

    /// A vault's audit rows, newest first.
    public func auditEvents(vaultID: String, limit: Int) async throws -> [AuditRecord] {
        try await sql.raw("""
            SELECT time, actor_id, actor_kind, action, vault_id, slot_id, target_account_id, key_refs, client_address, outcome, detail
            FROM audit_events WHERE vault_id = \(bind: vaultID) ORDER BY event_id DESC LIMIT \(literal: limit)
            """).all(decoding: AuditRecord.self)
    }
}

/// Exponential backoff for failed authentications (issue 3 §3).
public struct ThrottlePolicy: Sendable {
    /// Failures allowed before any delay.
    public var freeFailures: Int64
    /// The first delay in ms; doubled for each further failure.
    public var baseDelayMillis: Int64
    /// The longest delay.
    public var maxDelayMillis: Int64
    /// A counter untouched this long starts again from zero.
    public var resetAfterMillis: Int64

    /// Memberwise.
    public init(freeFailures: Int64 = 5, baseDelayMillis: Int64 = 1000, maxDelayMillis: Int64 = 15 * 60_000, resetAfterMillis: Int64 = 60 * 60_000) {
        self.freeFailures = freeFailures; self.baseDelayMillis = baseDelayMillis
        self.maxDelayMillis = maxDelayMillis; self.resetAfterMillis = resetAfterMillis
    }

    /// The block after the `failures`-th failure.
    public func delay(failures: Int64) -> Int64 {
        guard failures > freeFailures else { return 0 }
        let exponent = min(failures - freeFailures - 1, 30)
        return min(baseDelayMillis << exponent, maxDelayMillis)
    }
}

extension Transaction {
    /// The latest `blocked_until` among `keys` (0 when none is blocked).
    public func blockedUntil(keys: [String]) async throws -> Int64 {
        let rows = try await sql.raw("SELECT blocked_until FROM throttles WHERE throttle_key IN (\(binds: keys))").all()
        return try rows.map { try $0.decode(column: "blocked_until", as: Int64.self) }.max() ?? 0
    }

    /// Count one failure against each key and set its block under that key's policy.
    public func recordFailure(keys: [(key: String, policy: ThrottlePolicy)], now: Int64) async throws {
        for (key, policy) in keys {
            let failures = try await sql.raw("""
                INSERT INTO throttles (throttle_key, failures, blocked_until, updated_at) VALUES (\(bind: key), 1, 0, \(bind: now))
                ON CONFLICT (throttle_key) DO UPDATE SET
                    failures = CASE WHEN throttles.updated_at < \(bind: now - policy.resetAfterMillis) THEN 1 ELSE throttles.failures + 1 END,
                    updated_at = excluded.updated_at
                RETURNING failures
                """).first(decodingColumn: "failures", as: Int64.self) ?? 1
            let delay = policy.delay(failures: failures)
            if delay > 0 {
                try await sql.raw("UPDATE throttles SET blocked_until = \(bind: now + delay) WHERE throttle_key = \(bind: key)").run()
            }
        }
    }

    /// Forget the failures of `key` (after a success).
    public func clearFailures(key: String) async throws {
        try await sql.raw("DELETE FROM throttles WHERE throttle_key = \(bind: key)").run()
    }
}
