import Hummingbird
import Logging
import SeclabAPI
import SeclabPrimitives
import SeclabStore

/// What the controllers share: the database, configuration, metrics and the auth helpers.
/// Built once in `buildApplication`; every member is immutable or internally synchronized.
struct Services: Sendable {
    let config: ServerConfig
    let database: SeclabDatabase
    let metrics: MetricsRegistry
    let logger: Logger
    let logins: LoginService
    /// The machine pull's verifier, caches and audit group commit (`Pull/`).
    let pull: PullState
    /// Per-address and global token buckets of unauthenticated work.
    let rates: RateLimiters
    /// Audit rows of failures, throttles and denials, counted per window.
    let aggregatedAudit: AggregatedAudit
    /// Bounds the reads that hold a whole vault in memory.
    let heavyReads: BoundedGate

    /// One audit row in its own write transaction: for events whose action has no
    /// transaction of its own and that a stranger cannot cause in bulk.
    func auditAlone(_ event: AuditRecord) async throws {
        try await database.write { tx in try await tx.audit(event) }
    }

    /// An audit row for the account `principal`.
    static func event(_ principal: AccountPrincipal, _ action: AuditAction, context: SeclabRequestContext, vaultID: String? = nil, slotID: String? = nil, target: String? = nil, keyRefs: [String] = [], outcome: AuditOutcome = .ok, detail: String? = nil, now: Int64) -> AuditRecord {
        AuditRecord(time: now, actorID: principal.accountID, actorKind: .account, action: action, vaultID: vaultID,
                    slotID: slotID, targetAccountID: target, keyRefs: keyRefs, clientAddress: context.clientAddress, outcome: outcome,
                    detail: detail)
    }
}

/// The blocked-until check that runs before any Argon2id or modular exponentiation
///, and the failure counting after.
extension Services {
    /// Throw 429 with Retry-After when any of `keys` is blocked. The refusal is counted in
    /// the aggregated audit and never extends the block.
    func checkThrottle(keys: [ThrottleKey], kind: String, audit: AuditRecord, now: Int64) async throws {
        let until = try await database.read { tx in try await tx.blockedUntil(keys: keys) }
        if until > now { throw throttled(until: until, kind: kind, audit: audit, now: now) }
    }

    /// The 429 for a block lasting until `until`, counted and audited (aggregated).
    func throttled(until: Int64, kind: String, audit: AuditRecord, now: Int64) -> APIError {
        metrics.throttled(kind: kind)
        aggregatedAudit.note(audit.with(outcome: .throttled))
        return APIError.throttled(retryAfterSeconds: Self.retryAfterSeconds(until: until, now: now))
    }

    /// Whole seconds until `until` (Unix ms), rounded up and at least 1: what `Retry-After`
    /// says of a block, so a client that waits exactly that long is no longer blocked.
    static func retryAfterSeconds(until: Int64, now: Int64) -> Int64 {
        max(1, (until - now + 999) / 1000)
    }

    /// The counters one failed login increments: the account from this address (strict), the
    /// account from anywhere (lenient) and the address (a much higher threshold).
    func loginFailureKeys(accountID: String, context: SeclabRequestContext) -> [(key: ThrottleKey, policy: ThrottlePolicy)] {
        [(.accountAddress(accountID, context.throttleSubject), config.accountAddressThrottle),
         (.account(accountID), config.accountThrottle),
         (.address(context.throttleSubject), config.addressThrottle)]
    }

    /// The counters a login checks before its modular exponentiation.
    static func loginKeys(accountID: String, context: SeclabRequestContext) -> [ThrottleKey] {
        [.accountAddress(accountID, context.throttleSubject), .account(accountID), .address(context.throttleSubject)]
    }

    /// 429 unless this address may fail once more (checked before the work an unknown
    /// credential would cost).
    func checkFailureRate(_ context: SeclabRequestContext, kind: String, audit: AuditRecord) throws {
        guard rates.failures.allows(context.throttleSubject) else { throw limited(kind: kind, audit: audit) }
    }

    /// Count a failure from an unknown or malformed credential: its rate token and one
    /// aggregated audit count, never a row of its own.
    func noteFailure(_ context: SeclabRequestContext, kind: String, audit: AuditRecord) {
        metrics.authFailure(kind: kind)
        rates.failures.charge(context.throttleSubject)
        aggregatedAudit.note(audit)
    }

    /// The 429 of a rate limit, counted and audited (aggregated).
    func limited(kind: String, audit: AuditRecord) -> APIError {
        metrics.throttled(kind: kind)
        aggregatedAudit.note(audit.with(outcome: .limited))
        return APIError(.tooManyRequests, code: "rate_limited", message: "too many requests from this address; retry after 1 s",
                        headers: [.retryAfter: "1"])
    }
}
