public import ArgumentParser
import Hummingbird
import Logging
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
            the cache of encoded pull items off). Flags win over the environment.
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

    /// Allow plain HTTP off loopback.
    @Flag(name: .customLong("allow-insecure-http"), help: "Serve plain HTTP on a non-loopback address (only behind a TLS proxy).")
    public var allowInsecureHTTP = false

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
        if let level = Self.environment("SECLAB_LOG_LEVEL") {
            guard let parsed = Logger.Level(rawValue: level) else { throw ValidationError("SECLAB_LOG_LEVEL must be trace, debug, info, notice, warning, error or critical") }
            config.logLevel = parsed
        }
        return config
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
