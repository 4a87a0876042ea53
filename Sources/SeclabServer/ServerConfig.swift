public import Logging
public import SeclabStore

/// Everything `buildApplication` needs; `seclab-server serve` fills it from flags and the
/// environment, tests fill it directly.
public struct ServerConfig: Sendable {
    /// Address to listen on.
    public var host: String = "127.0.0.1"
    /// Port; 0 picks a free one (printed when listening).
    public var port: Int = 8443
    /// `sqlite:PATH` or `postgres://…`.
    public var database: DatabaseLocation = .sqlite(path: "./seclab.db")
    /// PEM certificate chain for native TLS.
    public var tlsCertificatePath: String?
    /// PEM private key for native TLS.
    public var tlsKeyPath: String?
    /// Serve plain HTTP on a non-loopback address (behind a TLS-terminating proxy only).
    public var allowInsecureHTTP: Bool = false
    /// The deadline of every database statement and connection checkout, in milliseconds
    /// (`SECLAB_DB_TIMEOUT_MS`, `--db-timeout-ms`); past it the request answers 503.
    public var databaseTimeoutMillis: Int = SeclabDatabase.defaultTimeoutMillis
    /// Log level of the server's own logs.
    public var logLevel: Logger.Level = .info

    /// A session ends after this long without a request (milliseconds).
    public var sessionIdleMillis: Int64 = 30 * 60_000
    /// A session ends this long after login whatever happens (milliseconds).
    public var sessionAbsoluteMillis: Int64 = 12 * 3_600_000
    /// An SRP login must finish this soon after it started (spec §8: short expiry).
    public var loginTTLMillis: Int64 = 60_000
    /// How long a verified machine credential skips Argon2id.
    public var credentialCacheTTLMillis: Int64 = 60_000
    /// The most bytes of encoded pull items kept in memory (0 turns the pull cache off).
    public var pullCacheBytes: Int = 64 << 20
    /// At most this many verified machine credentials are cached.
    public var credentialCacheSize: Int = 10_000
    /// At most this many Argon2id verifications run at once (each takes 19 MiB, spec §0 m1).
    public var argon2Concurrency: Int = 2
    /// At most this many Argon2id verifications may wait; beyond that the server answers 503.
    public var argon2QueueLimit: Int = 64
    /// Backoff for failed authentications of one account or machine slot.
    public var throttle = ThrottlePolicy()
    /// Backoff for failed authentications from one client address: more lenient, since many
    /// clients can share an address (NAT, CI runners).
    public var addressThrottle = ThrottlePolicy(freeFailures: 50)
    /// Largest request body on ordinary routes (one 1 MiB value blob fits with room to spare).
    public var maxBodyBytes: Int = 2 * 1024 * 1024
    /// Largest request body of a rekey (the whole re-encrypted item set).
    public var maxRekeyBodyBytes: Int = 256 * 1024 * 1024

    /// Defaults: loopback, port 8443, `./seclab.db`.
    public init() {}

    /// True when `host` is a loopback address, where plain HTTP is acceptable.
    public var isLoopback: Bool {
        host == "localhost" || host == "::1" || host == "[::1]" || host.hasPrefix("127.")
    }
}
