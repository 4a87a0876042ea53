public import ArgumentParser
import Hummingbird
import Logging
import SeclabOIDC
import SeclabStore
import SeclabVersion
#if canImport(Glibc)
import Glibc
#endif

/// `seclab-server`: the root command.
public struct SeclabServerCommand: AsyncParsableCommand {
    /// Help and subcommands.
    public static let configuration = CommandConfiguration(
        commandName: "seclab-server",
        abstract: "The seclab ciphertext-only blob store.",
        version: "seclab-server \(BuildInfo.line)",
        subcommands: [Serve.self, Backup.self],
        defaultSubcommand: Serve.self
    )

    /// Required by ArgumentParser.
    public init() {}
}

/// `seclab-server serve`.
public struct Serve: AsyncParsableCommand {
    /// Help.
    public static let configuration = CommandConfiguration(
        abstract: "Serve the /v1 API.",
        discussion: """
            Environment: SECLAB_LISTEN (HOST:PORT), SECLAB_DATABASE (sqlite:PATH or postgres://…), \
            SECLAB_LOG_LEVEL (trace…critical), SECLAB_SESSION_IDLE_SECONDS (default 1800), \
            SECLAB_SESSION_MAX_SECONDS (default 43200), SECLAB_CREDENTIAL_CACHE_SECONDS (default 60; 0 \
            turns the verified machine-credential cache off), SECLAB_PULL_CACHE_MB (default 64; 0 turns \
            the cache of encoded pull items off), SECLAB_TRUSTED_PROXIES (comma-separated CIDRs), \
            SECLAB_VAULT_MAX_ITEMS (default 10000), SECLAB_VAULT_MAX_BYTES (default 33554432), \
            SECLAB_MAX_BODY_BYTES (default 65536), SECLAB_MAX_ITEM_BODY_BYTES (default 2097152), \
            SECLAB_MAX_REKEY_BODY_BYTES (default 41943040), SECLAB_AUDIT_WINDOW_SECONDS (default 10: \
            failures, throttles and denials are written as one counted row per window), \
            SECLAB_REKEY_CONCURRENCY (default 1), SECLAB_HEAVY_READ_CONCURRENCY (default 4: whole-vault \
            reads at once), SECLAB_DB_TIMEOUT_MS (default 3000: the deadline of every \
            database statement and connection checkout; past it a request answers 503 with Retry-After), \
            SECLAB_OIDC_ISSUERS (comma-separated trusted OpenID Connect issuers, like --oidc-issuer). \
            Flags win over the environment.
            """
    )

    /// `HOST:PORT`.
    @Option(name: .long, help: "Address to listen on, HOST:PORT (default 127.0.0.1:8443; port 0 picks one).")
    public var listen: String?

    /// Database URL.
    @Option(name: .long, help: "sqlite:PATH (default sqlite:./seclab.db) or postgres://USER@HOST:PORT/DB.")
    public var database: String?

    /// PEM certificate chain.
    @Option(name: .customLong("tls-cert"), help: "PEM certificate chain for TLS.")
    public var tlsCert: String?

    /// PEM private key.
    @Option(name: .customLong("tls-key"), help: "PEM private key for TLS.")
    public var tlsKey: String?

    /// Proxies whose forwarding headers name the client.
    @Option(name: .customLong("trusted-proxy"), help: ArgumentHelp(
        "A reverse proxy (address or CIDR) whose X-Forwarded-For/Forwarded headers name the client; repeatable.",
        valueName: "CIDR"))
    public var trustedProxies: [String] = []

    /// Trusted OpenID Connect issuers.
    @Option(name: .customLong("oidc-issuer"), help: ArgumentHelp(
        "A trusted OpenID Connect issuer (https://, or http:// on loopback) machine slots may be bound to; repeatable.",
        valueName: "URL"))
    public var oidcIssuers: [String] = []

    /// Vault size limit, items.
    @Option(name: .customLong("vault-max-items"), help: "Most live items in one vault (default 10000).")
    public var vaultMaxItems: Int?

    /// Vault size limit, bytes.
    @Option(name: .customLong("vault-max-bytes"), help: "Most bytes of encrypted items in one vault (default 33554432, 32 MiB).")
    public var vaultMaxBytes: Int?

    /// Allow plain HTTP off loopback.
    @Flag(name: .customLong("allow-insecure-http"), help: "Serve plain HTTP on a non-loopback address (only behind a TLS proxy).")
    public var allowInsecureHTTP = false

    /// Database deadline in milliseconds.
    @Option(name: .customLong("db-timeout-ms"), help: "Deadline of every database statement and connection checkout, in ms (default 3000).")
    public var dbTimeoutMillis: Int?

    /// Required by ArgumentParser.
    public init() {}

    static func environment(_ name: String) -> String? {
        guard let value = getenv(name) else { return nil }
        let text = String(cString: value)
        return text.isEmpty ? nil : text
    }

    /// Build the configuration; fails before any network or database work.
    public func makeConfig() throws -> ServerConfig {
        var config = ServerConfig()
        let listen = self.listen ?? Self.environment("SECLAB_LISTEN") ?? "127.0.0.1:8443"
        guard let colon = listen.lastIndex(of: ":"), let port = Int(listen[listen.index(after: colon)...]), (0...65535).contains(port) else {
            throw ValidationError("--listen must be HOST:PORT, e.g. 127.0.0.1:8443")
        }
        var host = String(listen[..<colon])
        if host.hasPrefix("["), host.hasSuffix("]") { host = String(host.dropFirst().dropLast()) }
        config.host = host.isEmpty ? "0.0.0.0" : host
        config.port = port
        do {
            config.database = try DatabaseLocation(url: database ?? Self.environment("SECLAB_DATABASE") ?? "sqlite:./seclab.db")
        } catch { throw ValidationError(error.description) }
        config.tlsCertificatePath = tlsCert
        config.tlsKeyPath = tlsKey
        config.allowInsecureHTTP = allowInsecureHTTP
        for (name, keyPath) in [("SECLAB_SESSION_IDLE_SECONDS", \ServerConfig.sessionIdleMillis), ("SECLAB_SESSION_MAX_SECONDS", \ServerConfig.sessionAbsoluteMillis)] {
            guard let text = Self.environment(name) else { continue }
            guard let seconds = Int64(text), seconds > 0, seconds <= 30 * 86_400 else {
                throw ValidationError("\(name) must be a number of seconds from 1 to 2592000")
            }
            config[keyPath: keyPath] = seconds * 1000
        }
        if let text = Self.environment("SECLAB_CREDENTIAL_CACHE_SECONDS") {
            // 0 turns the verified-credential cache off: every pull runs Argon2id (benchmarks' "cold").
            guard let seconds = Int64(text), seconds >= 0, seconds <= 3600 else {
                throw ValidationError("SECLAB_CREDENTIAL_CACHE_SECONDS must be a number of seconds from 0 to 3600")
            }
            config.credentialCacheTTLMillis = seconds * 1000
        }
        if let text = Self.environment("SECLAB_PULL_CACHE_MB") {
            // 0 turns the pull cache off: every pull reads and encodes its items anew.
            guard let megabytes = Int(text), megabytes >= 0, megabytes <= 16_384 else {
                throw ValidationError("SECLAB_PULL_CACHE_MB must be a number of MiB from 0 to 16384")
            }
            config.pullCacheBytes = megabytes << 20
        }
        let proxies = trustedProxies.isEmpty
            ? (Self.environment("SECLAB_TRUSTED_PROXIES")?.split(separator: ",").map(String.init) ?? []) : trustedProxies
        do { try config.setTrustedProxies(proxies) } catch { throw ValidationError(error.description) }
        // Why checked here: a typo in an issuer would otherwise surface only as refused pulls.
        let issuerTexts = oidcIssuers.isEmpty
            ? (Self.environment("SECLAB_OIDC_ISSUERS")?.split(separator: ",").map { String($0).trimmingSpaces }.filter { !$0.isEmpty } ?? [])
            : oidcIssuers
        for text in issuerTexts {
            do { _ = try IssuerURL(text) } catch { throw ValidationError("--oidc-issuer: \(error.description)") }
        }
        config.oidcIssuers = issuerTexts
        config.vaultMaxItems = try Self.number(vaultMaxItems, env: "SECLAB_VAULT_MAX_ITEMS", flag: "--vault-max-items",
                                               range: 1...10_000_000, default: config.vaultMaxItems)
        config.vaultMaxBytes = try Self.number(vaultMaxBytes, env: "SECLAB_VAULT_MAX_BYTES", flag: "--vault-max-bytes",
                                               range: 1024...(1 << 34), default: config.vaultMaxBytes)
        config.maxBodyBytes = try Self.number(nil, env: "SECLAB_MAX_BODY_BYTES", flag: "SECLAB_MAX_BODY_BYTES",
                                              range: 4096...(1 << 30), default: config.maxBodyBytes)
        config.maxItemBodyBytes = try Self.number(nil, env: "SECLAB_MAX_ITEM_BODY_BYTES", flag: "SECLAB_MAX_ITEM_BODY_BYTES",
                                                  range: (1 << 20) + 4096...(1 << 30), default: config.maxItemBodyBytes)
        config.maxRekeyBodyBytes = try Self.number(nil, env: "SECLAB_MAX_REKEY_BODY_BYTES", flag: "SECLAB_MAX_REKEY_BODY_BYTES",
                                                   range: 4096...(1 << 30), default: config.maxRekeyBodyBytes)
        config.auditWindowMillis = Int64(try Self.number(nil, env: "SECLAB_AUDIT_WINDOW_SECONDS", flag: "SECLAB_AUDIT_WINDOW_SECONDS",
                                                         range: 1...3600, default: Int(config.auditWindowMillis / 1000))) * 1000
        config.rekeyConcurrency = try Self.number(nil, env: "SECLAB_REKEY_CONCURRENCY", flag: "SECLAB_REKEY_CONCURRENCY",
                                                  range: 1...64, default: config.rekeyConcurrency)
        config.heavyReadConcurrency = try Self.number(nil, env: "SECLAB_HEAVY_READ_CONCURRENCY", flag: "SECLAB_HEAVY_READ_CONCURRENCY",
                                                      range: 1...1024, default: config.heavyReadConcurrency)
        if let millis = try dbTimeoutMillis ?? Self.environment("SECLAB_DB_TIMEOUT_MS").map({ text in
            guard let value = Int(text) else { throw ValidationError("SECLAB_DB_TIMEOUT_MS must be a number of milliseconds from 100 to 600000") }
            return value
        }) {
            // Below 100 ms a healthy database under load would look down; above 10 min a dead
            // one would look like a hang.
            guard (100...600_000).contains(millis) else {
                throw ValidationError("--db-timeout-ms / SECLAB_DB_TIMEOUT_MS must be a number of milliseconds from 100 to 600000")
            }
            config.databaseTimeoutMillis = millis
        }
        if let level = Self.environment("SECLAB_LOG_LEVEL") {
            guard let parsed = Logger.Level(rawValue: level) else { throw ValidationError("SECLAB_LOG_LEVEL must be trace, debug, info, notice, warning, error or critical") }
            config.logLevel = parsed
        }
        return config
    }

    /// A whole number from the flag, else the environment, else `default`; out of `range` is an error naming it.
    static func number(_ flag: Int?, env: String, flag name: String, range: ClosedRange<Int>, default value: Int) throws -> Int {
        let text = flag.map(String.init) ?? environment(env)
        guard let text else { return value }
        guard let number = Int(text), range.contains(number) else {
            throw ValidationError("\(name) must be a whole number from \(range.lowerBound) to \(range.upperBound)")
        }
        return number
    }

    /// Validate the cross-flag rules.
    public func validate() throws {
        if (tlsCert == nil) != (tlsKey == nil) { throw ValidationError("--tls-cert and --tls-key go together") }
        _ = try makeConfig()
    }

    /// Run until SIGTERM or SIGINT (see `serve()`).
    public func run() async throws { try await serve() }

    /// Run until SIGTERM or SIGINT; then stop accepting, finish in-flight requests, close the database.
    public func serve() async throws {
        let config = try makeConfig()
        let app = try await buildApplication(config)
        try await app.runService()
    }
}
