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
    /// Backoff for failed logins of one account from one client address.
    public var accountAddressThrottle = ThrottlePolicy()
    /// Backoff for failed logins of one account from anywhere: lenient and short, since anyone
    /// who knows the e-mail can fail it; it only stops guessing spread over many addresses.
    public var accountThrottle = ThrottlePolicy(freeFailures: 20, maxDelayMillis: 60_000)
    /// Backoff for failed authentications of one machine slot.
    public var slotThrottle = ThrottlePolicy()
    /// Backoff for failed authentications from one client address, whatever the identity: a
    /// much higher threshold, since many clients can share an address (NAT, CI runners).
    public var addressThrottle = ThrottlePolicy(freeFailures: 100, maxDelayMillis: 5 * 60_000)
    /// Trusted OpenID Connect issuers (`--oidc-issuer`, `SECLAB_OIDC_ISSUERS`), exactly as
    /// configured: a bound slot's issuer must be one of them. Checked by
    /// `SeclabOIDC.IssuerURL` when the server starts.
    public var oidcIssuers: [String] = []
    /// Proxies whose `Forwarded` / `X-Forwarded-For` name the client (`--trusted-proxy`).
    var trustedProxies: [CIDRRange] = []

    /// Registrations per client address.
    public var registrationRate = RateLimit(burst: 30, perSecond: 0.2)
    /// Registrations, whole server.
    public var registrationGlobalRate = RateLimit(burst: 100, perSecond: 10)
    /// `srp/start` per client address.
    public var srpStartRate = RateLimit(burst: 60, perSecond: 2)
    /// `srp/start`, whole server (each is a 4096-bit modular exponentiation).
    public var srpStartGlobalRate = RateLimit(burst: 200, perSecond: 100)
    /// Failed authentications (bad or unknown credentials) per client address.
    public var failureRate = RateLimit(burst: 60, perSecond: 5)
    /// Failed authentications, whole server.
    public var failureGlobalRate = RateLimit(burst: 1000, perSecond: 200)
    /// Wrong secrets of existing machine slots (one Argon2id run each) per client address.
    public var argon2FailureRate = RateLimit(burst: 100, perSecond: 2)
    /// Wrong secrets of existing machine slots, whole server.
    public var argon2FailureGlobalRate = RateLimit(burst: 500, perSecond: 50)
    /// Account lookups per account.
    public var lookupRate = RateLimit(burst: 60, perSecond: 1)
    /// Account lookups, whole server.
    public var lookupGlobalRate = RateLimit(burst: 500, perSecond: 50)
    /// Aggregated audit rows (failures, throttles, denials) are written once per this window.
    public var auditWindowMillis: Int64 = 10_000

    /// Largest request body on ordinary routes (every small JSON request).
    public var maxBodyBytes: Int = 64 * 1024
    /// Largest body of an item write or batch-get (one 1 MiB value blob fits with room to spare;
    /// 10,000 key refs fit too).
    public var maxItemBodyBytes: Int = 2 * 1024 * 1024
    /// Largest request body of a rekey (the whole re-encrypted item set); by default the vault
    /// size limit plus room for the JSON around it.
    public var maxRekeyBodyBytes: Int = 40 * 1024 * 1024
    /// Most live items in one vault.
    public var vaultMaxItems: Int = 10_000
    /// Most bytes of item ciphertext text (names and values) in one vault.
    public var vaultMaxBytes: Int = 32 * 1024 * 1024
    /// Rekeys running at once (each holds its whole body in memory).
    public var rekeyConcurrency: Int = 1
    /// Whole-vault reads (item lists, batch-gets, uncached pulls) running at once.
    public var heavyReadConcurrency: Int = 4

    /// Defaults: loopback, port 8443, `./seclab.db`.
    public init() {}

    /// True when `host` is a loopback address, where plain HTTP is acceptable: a literal
    /// loopback address, or a name every one of whose addresses is loopback.
    /// Why resolve: `127.example.com` is a name like any other and may point anywhere
    ///; a prefix test on the text is not an address check.
    public var isLoopback: Bool {
        if let literal = IPAddress(host) { return literal.isLoopback }
        let addresses = HostResolver.addresses(of: host)
        return !addresses.isEmpty && addresses.allSatisfy(\.isLoopback)
    }

    /// Set the trusted proxies from CIDR texts; throws naming the first malformed one.
    public mutating func setTrustedProxies(_ texts: [String]) throws(ConfigError) {
        var ranges: [CIDRRange] = []
        for text in texts {
            guard let range = CIDRRange(text.trimmingSpaces) else {
                throw ConfigError("--trusted-proxy '\(text)' is not an address or CIDR range, e.g. 10.0.0.0/8 or fd00::/8")
            }
            ranges.append(range)
        }
        trustedProxies = ranges
    }
}

/// A bad server setting; the message names it and the expected form.
public struct ConfigError: Error, CustomStringConvertible {
    /// What is wrong.
    public let description: String
    init(_ description: String) { self.description = description }
}
