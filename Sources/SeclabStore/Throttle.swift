import SQLKit

/// Who a failure counter belongs to. One small typed value per counter, so a
/// login can never be counted against a machine slot or an address by a string mix-up.
///
/// Why these kinds: an attacker's failures must block the attacker, not everyone who shares
/// an address with them (NAT, CI runners, a TLS proxy) and not the victim working from
/// elsewhere. So logins count per (account, address) strictly, per account leniently (against
/// guessing spread over many addresses) and per address only with a much higher threshold
/// (against spraying many accounts); pulls count per slot.
public struct ThrottleKey: Hashable, Sendable, CustomStringConvertible {
    /// What is counted.
    public enum Kind: String, Sendable {
        /// Failed logins of one account, from anywhere.
        case account = "a"
        /// Failed logins of one account from one client address.
        case accountAddress = "aa"
        /// Failed authentications from one client address, whatever the identity.
        case address = "ip"
        /// Failed authentications of one machine slot.
        case slot = "s"
    }

    /// The kind of counter.
    public let kind: Kind
    /// The account or slot id, the address subject, or `account_id|address` for a pair.
    public let subject: String

    /// Failed logins of `accountID`.
    public static func account(_ accountID: String) -> ThrottleKey { ThrottleKey(kind: .account, subject: accountID) }
    /// Failed logins of `accountID` from `address` (an address subject: IPv4, or an IPv6 /64).
    public static func accountAddress(_ accountID: String, _ address: String) -> ThrottleKey {
        ThrottleKey(kind: .accountAddress, subject: accountID + "|" + address)
    }
    /// Failed authentications from `address`.
    public static func address(_ address: String) -> ThrottleKey { ThrottleKey(kind: .address, subject: address) }
    /// Failed authentications of machine slot `slotID`.
    public static func slot(_ slotID: String) -> ThrottleKey { ThrottleKey(kind: .slot, subject: slotID) }

    /// The stored text, `kind:subject` (the `throttles.throttle_key` column).
    public var text: String { kind.rawValue + ":" + subject }
    /// Same as `text`.
    public var description: String { text }
}

/// Exponential backoff for failed authentications.
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
    public func blockedUntil(keys: [ThrottleKey]) async throws -> Int64 {
        guard !keys.isEmpty else { return 0 }
        let rows = try await sql.raw("SELECT blocked_until FROM throttles WHERE throttle_key IN (\(binds: keys.map(\.text)))").all()
        return try rows.map { try $0.decode(column: "blocked_until", as: Int64.self) }.max() ?? 0
    }

    /// Count one failure against each key and set its block under that key's policy.
    ///
    /// Why a running block is never moved: a request refused while blocked never gets here
    /// (it is refused before the work), and one that raced past the check while the block
    /// began is a real guess, so it counts, but it must not extend the block.
    /// The next failure after the block ends pays for the higher count.
    public func recordFailure(keys: [(key: ThrottleKey, policy: ThrottlePolicy)], now: Int64) async throws {
        for (key, policy) in keys {
            let failures = try await sql.raw("""
                INSERT INTO throttles (throttle_key, failures, blocked_until, updated_at) VALUES (\(bind: key.text), 1, 0, \(bind: now))
                ON CONFLICT (throttle_key) DO UPDATE SET
                    failures = CASE WHEN throttles.updated_at < \(bind: now - policy.resetAfterMillis) THEN 1
                                    ELSE throttles.failures + 1 END,
                    updated_at = excluded.updated_at
                RETURNING failures, blocked_until
                """).first()
            guard let row = failures else { continue }
            let count = try row.decode(column: "failures", as: Int64.self)
            let blocked = try row.decode(column: "blocked_until", as: Int64.self)
            let delay = policy.delay(failures: count)
            if delay > 0, blocked <= now {
                try await sql.raw("UPDATE throttles SET blocked_until = \(bind: now + delay) WHERE throttle_key = \(bind: key.text)").run()
            }
        }
    }

    /// Forget the failures of `keys` (after a success: a success clears its own counters).
    public func clearFailures(keys: [ThrottleKey]) async throws {
        guard !keys.isEmpty else { return }
        try await sql.raw("DELETE FROM throttles WHERE throttle_key IN (\(binds: keys.map(\.text)))").run()
    }
}
