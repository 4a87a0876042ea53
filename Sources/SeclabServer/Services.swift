import Hummingbird
import Logging
import SeclabPrimitives
import SeclabStore

/// What the controllers share: the database, configuration, metrics and the auth helpers.
/// Built once in `buildApplication`; every member is immutable or internally synchronized.
struct Services: Sendable {
    let config: ServerConfig
    let database: SeclabDatabase
    let metrics: MetricsRegistry
    let logger: Logger
    let machineAuth: MachineAuthenticator
    let logins: LoginService
    /// Encoded items of recent machine pulls, per vault revision.
    let pullCache: PullCache
    /// Group commit of the pulls' audit rows.
    let pullAudit: PullAuditWriter

    /// One audit row in its own write transaction: for denials and failed authentications,
    /// whose action has no transaction of its own.
    func auditAlone(_ event: AuditRecord) async throws {
        try await database.write { tx in try await tx.audit(event) }
    }

    /// An audit row for the account `principal`.
    static func event(_ principal: AccountPrincipal, _ action: String, context: SeclabRequestContext, vaultID: String? = nil, slotID: String? = nil, target: String? = nil, keyRefs: [String] = [], outcome: String = "ok", detail: String? = nil, now: Int64) -> AuditRecord {
        AuditRecord(time: now, actorID: principal.accountID, actorKind: "account", action: action, vaultID: vaultID,
                    slotID: slotID, targetAccountID: target, keyRefs: keyRefs, clientAddress: context.clientAddress, outcome: outcome,
                    detail: detail)
    }
}

/// The blocked-until check that runs before any Argon2id or modular exponentiation
/// (issue 3 §3), and the failure counting after.
extension Services {
    /// Throw 429 with Retry-After when any of `keys` is blocked.
    func checkThrottle(keys: [String], kind: String, now: Int64) async throws {
        let until = try await database.read { tx in try await tx.blockedUntil(keys: keys) }
        if until > now {
            metrics.throttled(kind: kind)
            throw APIError.throttled(retryAfterSeconds: max(1, (until - now + 999) / 1000))
        }
    }

    static func addressKey(_ context: SeclabRequestContext) -> String { "addr:\(context.clientAddress ?? "unknown")" }

    /// The counters one failed authentication increments: the principal's (when known) and
    /// the client address's, each with its policy.
    func failureKeys(principal: String?, context: SeclabRequestContext) -> [(key: String, policy: ThrottlePolicy)] {
        var keys = [(key: Services.addressKey(context), policy: config.addressThrottle)]
        if let principal { keys.append((key: principal, policy: config.throttle)) }
        return keys
    }
}
