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
///   hash it was verified against, so a slot re-created with a new secret never matches;
/// * concurrent pulls of one credential that miss the cache share one verification: the
///   first runs Argon2id, the others wait for its result. Without this, every request that
///   arrived while the entry was missing (at start, after each TTL) ran its own: 32
///   connections of one credential queued 32 runs on the Argon2id threads, and the pulls
///   of that moment waited ~0.5 s (bench/results/2026-12-06, PostgreSQL, p99).
/// The database check that the slot still exists happens on every pull regardless.
///
/// An unknown slot id costs no Argon2id: slot ids are random 122-bit UUIDs
/// chosen by their owner's client, so answering an unknown one faster than a known one
/// tells a prober only that the random id they sent does not exist, which they knew. The
/// earlier decoy verification let rotating addresses spend ~106 Argon2id runs a second on
/// ids that exist nowhere and push real first pulls into the queue limit (503).
final class MachineAuthenticator: Sendable {
    struct Entry { let authHash: String; let expires: Int64 }

    let cacheKey = SecretBytes.random(count: 32)
    let cache = Mutex<[[UInt8]: Entry]>([:])
    let ttl: Int64
    let capacity: Int
    let pool: NIOThreadPool
    let queueLimit: Int
    let pending = Atomic<Int>(0)
    /// Verifications running now, by cache tag and the hash they check against: a second pull
    /// with the same credential waits for that task instead of starting an Argon2id of its own.
    let inFlight = Mutex<[[UInt8]: Task<Bool, any Error>]>([:])

    init(config: ServerConfig) throws {
        ttl = config.credentialCacheTTLMillis
        capacity = config.credentialCacheSize
        queueLimit = config.argon2QueueLimit
        pool = NIOThreadPool(numberOfThreads: config.argon2Concurrency)
        pool.start()
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

    /// Run `work` on the Argon2id threads, within the queue limit (503 beyond it). Every
    /// Argon2id of the server goes through here: verifications and the hashing of new machine
    /// slots alike (slot creation used to bypass the limit).
    func runLimited<R: Sendable>(_ work: @escaping @Sendable () throws -> R) async throws -> R {
        guard pending.add(1, ordering: .relaxed).newValue <= queueLimit else {
            pending.subtract(1, ordering: .relaxed)
            throw APIError.busy
        }
        defer { pending.subtract(1, ordering: .relaxed) }
        return try await pool.runIfActive(work)
    }

    /// `crypto_pwhash_str(secret, m1)` of a new machine slot, within the queue limit.
    func hash(_ secret: SecretBytes) async throws -> String {
        try await runLimited { try secret.withUnsafeBytes { try Argon2id.hashString(password: $0, profile: .m1) } }
    }

    /// True when `credential` matches `authHash` (the slot's stored hash).
    func verify(_ credential: Credential, authHash: String, now: Int64, metrics: MetricsRegistry) async throws -> Bool {
        if cachedHash(credential, now: now) == authHash {
            metrics.credentialCache(hit: true)
            return true
        }
        let secret = credential.secret
        let run = { @Sendable () async throws -> Bool in
            try await self.runLimited { secret.withUnsafeBytes { Argon2id.verify(hashString: authHash, password: $0) } }
        }
        guard ttl > 0 else {
            // Cache turned off: every pull runs its own verification, shared with none.
            metrics.credentialCache(hit: false)
            let ok = try await run()
            metrics.argon2idRun()
            return ok
        }
        let tag = cacheTag(credential)
        // Why the hash in the key: a waiting pull may take the result only for the same secret
        // (the tag) checked against the same stored hash (a re-created slot has another).
        let key = tag + Array(authHash.utf8)
        let (task, started) = inFlight.withLock { flights -> (Task<Bool, any Error>, Bool) in
            if let running = flights[key] { return (running, false) }
            let task = Task { try await run() }
            flights[key] = task
            return (task, true)
        }
        // A pull that waited ran no Argon2id of its own: counted as a hit (misses count runs).
        metrics.credentialCache(hit: !started)
        guard started else { return try await task.value }
        let ok: Bool
        do {
            ok = try await task.value
        } catch {
            inFlight.withLock { _ = $0.removeValue(forKey: key) }
            throw error
        }
        metrics.argon2idRun()
        if ok {
            cache.withLock { cache in
                if cache.count >= capacity {
                    cache = cache.filter { $0.value.expires > now }
                    // Still full: drop an arbitrary half rather than grow without bound.
                    if cache.count >= capacity { cache = Dictionary(uniqueKeysWithValues: cache.prefix(capacity / 2).map { ($0.key, $0.value) }) }
                }
                cache[tag] = Entry(authHash: authHash, expires: now + ttl)
            }
        }
        // Remembered first, then no longer in flight: a pull in between finds one or the other.
        inFlight.withLock { _ = $0.removeValue(forKey: key) }
        return ok
    }
}

