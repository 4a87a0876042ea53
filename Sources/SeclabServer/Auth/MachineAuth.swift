import Hummingbird
import NIOPosix
import SeclabPrimitives
import SeclabStore
import SeclabAPI
import Synchronization

/// Verifies machine credentials (spec §6.2): `Authorization: Machine <slot_id>.<b64u auth_secret>`.
///
/// The server stores only `crypto_pwhash_str(auth_secret, m1)`. Verifying costs an Argon2id
/// run (19 MiB, ~25 ms), so:
/// * at most `argon2Concurrency` run at once, on their own threads (memory stays capped under
///   a flood and the request threads stay free), with a bounded queue (503 beyond it);
/// * a verified credential is remembered for a short TTL under
///   `HMAC(cacheKey, slot_id ‖ auth_secret)`, where `cacheKey` is random per process, so the
///   cache holds nothing that could be replayed or checked offline; an entry also records the
///   hash it was verified against, so a slot re-created with a new secret never matches.
/// The database check that the slot still exists happens on every pull regardless.
final class MachineAuthenticator: Sendable {
    struct Entry { let authHash: String; let expires: Int64 }

    let cacheKey = SecretBytes.random(count: 32)
    let cache = Mutex<[[UInt8]: Entry]>([:])
    let ttl: Int64
    let capacity: Int
    let pool: NIOThreadPool
    let queueLimit: Int
    let pending = Atomic<Int>(0)
    /// A real m1 hash of a random secret: unknown slots are verified against it, so they
    /// cost the same as known ones.
    let decoyHash: String

    init(config: ServerConfig) throws {
        ttl = config.credentialCacheTTLMillis
        capacity = config.credentialCacheSize
        queueLimit = config.argon2QueueLimit
        pool = NIOThreadPool(numberOfThreads: config.argon2Concurrency)
        pool.start()
        decoyHash = try SecretBytes.random(count: 32).withUnsafeBytes { try Argon2id.hashString(password: $0, profile: .m1) }
    }

    func shutdown() async { try? await pool.shutdownGracefully() }

    /// The parsed header: slot id and the secret bytes.
    struct Credential: Sendable {
        let slotID: String
        let secret: SecretBytes
    }

    static func parse(_ header: String?) -> Credential? {
        guard let header, header.hasPrefix("Machine ") else { return nil }
        let value = header.dropFirst("Machine ".count)
        guard let dot = value.firstIndex(of: ".") else { return nil }
        let slotID = String(value[..<dot])
        guard (try? WireCheck.id(slotID, field: "slot_id")) != nil,
              let bytes = try? Base64URL.decode(value[value.index(after: dot)...], count: 32, what: "auth_secret") else { return nil }
        return Credential(slotID: slotID, secret: SecretBytes(copying: bytes))
    }

    func cacheTag(_ credential: Credential) -> [UInt8] {
        var message = Array(credential.slotID.utf8)
        credential.secret.withUnsafeBytes { message += $0 }
        defer { for i in message.indices { message[i] = 0 } }
        return HMACSHA256.authenticate(message, key: cacheKey)
    }

    /// The hash `credential` was verified against within the TTL, if any. A pull that finds one
    /// may skip its first read; the database still checks that hash in the audit write.
    func cachedHash(_ credential: Credential, now: Int64) -> String? {
        let tag = cacheTag(credential)
        guard let entry = cache.withLock({ $0[tag] }), entry.expires > now else { return nil }
        return entry.authHash
    }

    /// True when `credential` matches `authHash` (nil hash: unknown slot, checked against the decoy).
    func verify(_ credential: Credential, authHash: String?, now: Int64, metrics: MetricsRegistry) async throws -> Bool {
        if let authHash, cachedHash(credential, now: now) == authHash {
            metrics.credentialCache(hit: true)
            return true
        }
        metrics.credentialCache(hit: false)
        guard pending.add(1, ordering: .relaxed).newValue <= queueLimit else {
            pending.subtract(1, ordering: .relaxed)
            throw APIError.busy
        }
        defer { pending.subtract(1, ordering: .relaxed) }
        let hash = authHash ?? decoyHash
        let secret = credential.secret
        let ok = try await pool.runIfActive {
            secret.withUnsafeBytes { Argon2id.verify(hashString: hash, password: $0) }
        }
        metrics.argon2idRun()
        guard ok, let authHash else { return false }
        guard ttl > 0 else { return true }  // cache turned off
        let tag = cacheTag(credential)
        cache.withLock { cache in
            if cache.count >= capacity {
                cache = cache.filter { $0.value.expires > now }
                // Still full: drop an arbitrary half rather than grow without bound.
                if cache.count >= capacity { cache = Dictionary(uniqueKeysWithValues: cache.prefix(capacity / 2).map { ($0.key, $0.value) }) }
            }
            cache[tag] = Entry(authHash: authHash, expires: now + ttl)
        }
        return true
    }
}

