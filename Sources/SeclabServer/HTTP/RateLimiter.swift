import SeclabStore
import Synchronization

/// A token-bucket rate: `burst` requests at once, refilled at `perSecond`.
public struct RateLimit: Sendable, Equatable {
    /// Bucket size.
    public var burst: Double
    /// Tokens added per second.
    public var perSecond: Double

    /// Memberwise.
    public init(burst: Double, perSecond: Double) { self.burst = burst; self.perSecond = perSecond }
}

/// Token buckets per client address and one global bucket, for one class of unauthenticated
/// work (registration, `srp/start`, failed authentications, lookups).
///
/// Why in memory: these limits bound what a flood costs this process (CPU, rows, Argon2id);
/// they need no agreement between replicas, so each replica keeps its own buckets and the
/// effective limit behind a load balancer is the per-replica limit times the replicas
/// (docs/security.md says so). The per-address table is bounded: when full, buckets that have
/// refilled completely are dropped (they carry no state), then the oldest half.
final class RateLimiter: Sendable {
    struct Bucket { var tokens: Double; var updated: Int64 }
    struct State { var buckets: [String: Bucket] = [:]; var global: Bucket }

    let perAddress: RateLimit
    let global: RateLimit
    let capacity: Int
    let state: Mutex<State>

    init(perAddress: RateLimit, global: RateLimit, capacity: Int = 100_000) {
        self.perAddress = perAddress; self.global = global; self.capacity = capacity
        state = Mutex(State(global: Bucket(tokens: global.burst, updated: Clock.nowMillis())))
    }

    static func refill(_ bucket: inout Bucket, _ limit: RateLimit, now: Int64) {
        let elapsed = Double(max(0, now - bucket.updated)) / 1000
        bucket.tokens = min(limit.burst, bucket.tokens + elapsed * limit.perSecond)
        bucket.updated = now
    }

    /// True when `subject` and the whole server both have a token left (both are then spent);
    /// false leaves both untouched.
    func take(_ subject: String, now: Int64 = Clock.nowMillis()) -> Bool {
        state.withLock { state in
            var mine = state.buckets[subject] ?? Bucket(tokens: perAddress.burst, updated: now)
            Self.refill(&mine, perAddress, now: now)
            Self.refill(&state.global, global, now: now)
            guard mine.tokens >= 1, state.global.tokens >= 1 else {
                state.buckets[subject] = mine
                return false
            }
            mine.tokens -= 1
            state.global.tokens -= 1
            if state.buckets[subject] == nil, state.buckets.count >= capacity { prune(&state, now: now) }
            state.buckets[subject] = mine
            return true
        }
    }

    /// True when `subject` could take a token now, without taking it (a check before work
    /// whose token is spent only if it fails, see `charge`).
    func allows(_ subject: String, now: Int64 = Clock.nowMillis()) -> Bool {
        state.withLock { state in
            var mine = state.buckets[subject] ?? Bucket(tokens: perAddress.burst, updated: now)
            Self.refill(&mine, perAddress, now: now)
            var global = state.global
            Self.refill(&global, self.global, now: now)
            return mine.tokens >= 1 && global.tokens >= 1
        }
    }

    /// Spend a token of `subject` and the global bucket even if none is left (a failure that
    /// already happened is always counted).
    func charge(_ subject: String, now: Int64 = Clock.nowMillis()) {
        state.withLock { state in
            var mine = state.buckets[subject] ?? Bucket(tokens: perAddress.burst, updated: now)
            Self.refill(&mine, perAddress, now: now)
            Self.refill(&state.global, global, now: now)
            mine.tokens = max(-perAddress.burst, mine.tokens - 1)
            state.global.tokens = max(-global.burst, state.global.tokens - 1)
            if state.buckets[subject] == nil, state.buckets.count >= capacity { prune(&state, now: now) }
            state.buckets[subject] = mine
        }
    }

    private func prune(_ state: inout State, now: Int64) {
        let limit = perAddress
        state.buckets = state.buckets.filter { _, bucket in
            var bucket = bucket
            Self.refill(&bucket, limit, now: now)
            return bucket.tokens < limit.burst
        }
        if state.buckets.count >= capacity {
            let keep = state.buckets.sorted { $0.value.updated > $1.value.updated }.prefix(capacity / 2)
            state.buckets = Dictionary(uniqueKeysWithValues: keep.map { ($0.key, $0.value) })
        }
    }
}

/// The rate limiters of the server, one per class of unauthenticated work.
struct RateLimiters: Sendable {
    /// `POST /v1/accounts`.
    let registration: RateLimiter
    /// `POST /v1/auth/srp/start` (each costs a 4096-bit modular exponentiation and a row).
    let srpStart: RateLimiter
    /// Failures that cost nothing to check: malformed or unknown `Bearer`/`Machine`
    /// credentials, unknown login ids. Decides between 401 and 429 for those only.
    let failures: RateLimiter
    /// `GET /v1/accounts/lookup` (answers whether an e-mail has an account).
    let lookup: RateLimiter
    /// Wrong secrets for existing machine slots (each cost one Argon2id run). Kept apart from
    /// `failures` so a flood of junk credentials never delays a real cold pull from the same
    /// address; only many Argon2id failures do, with a much higher threshold.
    let argon2Failures: RateLimiter

    init(_ config: ServerConfig) {
        registration = RateLimiter(perAddress: config.registrationRate, global: config.registrationGlobalRate)
        srpStart = RateLimiter(perAddress: config.srpStartRate, global: config.srpStartGlobalRate)
        failures = RateLimiter(perAddress: config.failureRate, global: config.failureGlobalRate)
        lookup = RateLimiter(perAddress: config.lookupRate, global: config.lookupGlobalRate)
        argon2Failures = RateLimiter(perAddress: config.argon2FailureRate, global: config.argon2FailureGlobalRate)
    }
}
