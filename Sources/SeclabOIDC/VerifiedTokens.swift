import Crypto
import Synchronization

/// Tokens this server verified recently against a given policy: a hit skips parsing and the
/// signature check.
///
/// Why (bench/results/2026-12-05-vm-oidc.md): a bound slot's warm pull ran at about half the
/// rate of an unbound one, because every pull parsed and RSA-verified the same token, and a CI
/// job pulls with one token for minutes. Why it is safe: an entry is keyed by SHA-256 of the
/// token's bytes and the exact policy text, so a hit means "this byte-identical token already
/// passed every check of this very policy"; it lives at most `maxAge` seconds and never past the
/// token's own `exp` (no leeway on a hit), so it lets no token live longer than it would. What
/// it changes: a key the issuer withdraws stops verifying new tokens at once, but a token
/// already verified under it is accepted for at most `maxAge` more seconds, as cached key sets
/// already allow (docs/security.md, "CI identity binding").
final class VerifiedTokens: Sendable {
    struct Key: Hashable, Sendable {
        let digest: [UInt8]
        let policy: String
    }

    private struct Entry {
        let claims: AuditedClaims
        let until: Double
    }

    private let entries = Mutex<[Key: Entry]>([:])
    /// The longest an entry is used, in seconds; 0 turns the cache off.
    let maxAge: Double
    /// The most entries kept (expired ones go first, then all).
    let capacity: Int

    init(maxAge: Double, capacity: Int = 10_000) {
        self.maxAge = maxAge
        self.capacity = capacity
    }

    /// The key of `token` checked against `policy`.
    static func key(_ token: String, policy: String) -> Key {
        Key(digest: Array(SHA256.hash(data: Array(token.utf8))), policy: policy)
    }

    /// The claims verified for `key`, if that happened less than `maxAge` ago and the token has
    /// not expired.
    func lookup(_ key: Key, now: Double) -> AuditedClaims? {
        guard maxAge > 0 else { return nil }
        return entries.withLock { entries in
            guard let entry = entries[key] else { return nil }
            guard now < entry.until else {
                entries[key] = nil
                return nil
            }
            return entry.claims
        }
    }

    /// Remember a verification made at `now` of a token expiring at `expires`.
    func store(_ key: Key, claims: AuditedClaims, expires: Double, now: Double) {
        let until = min(expires, now + maxAge)
        guard maxAge > 0, until > now else { return }
        entries.withLock { entries in
            if entries.count >= capacity {
                entries = entries.filter { $0.value.until > now }
                if entries.count >= capacity { entries.removeAll(keepingCapacity: true) }
            }
            entries[key] = Entry(claims: claims, until: until)
        }
    }
}
