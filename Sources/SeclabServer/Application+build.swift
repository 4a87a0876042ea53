public import Hummingbird
import HummingbirdCore
import HummingbirdTLS
import Logging
import NIOCore
import NIOSSL
import SeclabStore
import ServiceLifecycle

/// Errors raised while starting the server (bad flags, bad files): printed, then exit.
public struct StartupError: Error, CustomStringConvertible {
    /// What is wrong and what to do.
    public let description: String
    init(_ description: String) { self.description = description }
}

/// Closes the database pool and the Argon2id threads when the service group shuts down
/// (SIGTERM: in-flight requests finish first, then this runs).
struct ResourceService: Service {
    let services: Services
    func run() async throws {
        try? await gracefulShutdown()
        await services.pull.shutdown()
        await services.database.shutdown()
    }
}

/// Build the seclab application: open and migrate the database, wire the controllers, and
/// choose TLS or plain HTTP. Used by `seclab-server serve` and by in-process tests.
public func buildApplication(_ config: ServerConfig) async throws -> some ApplicationProtocol {
    let logger = {
        var logger = Logger(label: "seclab-server")
        logger.logLevel = config.logLevel
        return logger
    }()

    let tls = config.tlsCertificatePath != nil || config.tlsKeyPath != nil
    if tls, config.tlsCertificatePath == nil || config.tlsKeyPath == nil {
        throw StartupError("--tls-cert and --tls-key go together")
    }
    // Transport is TLS; plain HTTP is acceptable on loopback only, or behind a
    // proxy the operator vouches for with --allow-insecure-http.
    if !tls, !config.isLoopback, !config.allowInsecureHTTP {
        throw StartupError("refusing plain HTTP on \(config.host): give --tls-cert/--tls-key, listen on loopback, or pass --allow-insecure-http behind a TLS proxy")
    }

    let database = try SeclabDatabase(location: config.database, logger: logger, timeoutMillis: config.databaseTimeoutMillis)
    do { try await database.migrate() } catch {
        // Migration statements carry no client data, so the driver's full report is safe here.
        logger.error("migration failed", metadata: ["error": .string(String(reflecting: error))])
        await database.shutdown()
        throw StartupError("cannot open or migrate the database (\(config.database)): \(String(describing: type(of: error)))")
    }
    let services = Services(config: config, database: database, metrics: MetricsRegistry(), logger: logger,
                            logins: LoginService(), pull: try PullState(config: config, database: database),
                            rates: RateLimiters(config),
                            aggregatedAudit: AggregatedAudit(),
                            heavyReads: BoundedGate(limit: config.heavyReadConcurrency, queueLimit: config.argon2QueueLimit))

    let router = Router(context: SeclabRequestContext.self)
    router.add(middleware: ClientAddressMiddleware(trusted: config.trustedProxies))
    router.add(middleware: ObservabilityMiddleware(metrics: services.metrics))
    router.add(middleware: HeavyRouteMiddleware(rekeys: BoundedGate(limit: config.rekeyConcurrency, queueLimit: 8)))
    // The routes of a signed-in owner: the bearer session is checked once, before the handler,
    // and the account is in the request context (`context.requireAccount()`).
    let sessions = router.group().add(middleware: SessionAuthMiddleware(services: services))
    OpsController(services: services).register(on: router)
    AccountController(services: services).register(on: router)
    AccountController(services: services).registerSessionRoutes(on: sessions)
    LoginController(services: services).register(on: router)
    VaultController(services: services).register(on: sessions)
    InvitationController(services: services).register(on: sessions)
    MachineController(services: services).register(on: sessions)
    PullController(services: services).register(on: router)
    ItemController(services: services).register(on: sessions)
    AuditController(services: services).register(on: sessions)

    let server: HTTPServerBuilder
    if let certificate = config.tlsCertificatePath, let key = config.tlsKeyPath {
        do {
            let chain = try NIOSSLCertificate.fromPEMFile(certificate).map { NIOSSLCertificateSource.certificate($0) }
            let privateKey = try NIOSSLPrivateKey(file: key, format: .pem)
            var tlsConfiguration = TLSConfiguration.makeServerConfiguration(certificateChain: chain, privateKey: .privateKey(privateKey))
            tlsConfiguration.minimumTLSVersion = .tlsv12
            server = try .tls(.http1(), tlsConfiguration: tlsConfiguration)
        } catch {
            await database.shutdown()
            throw StartupError("cannot load the TLS certificate or key: \(error)")
        }
    } else {
        server = .http1()
    }

    let scheme = tls ? "https" : "http"
    return Application(
        router: router,
        server: server,
        configuration: .init(address: .hostname(config.host, port: config.port), serverName: nil),
        // Shut down in reverse order: the aggregated audit is flushed before the database closes.
        services: [ResourceService(services: services),
                   AggregatedAuditService(audit: services.aggregatedAudit, database: database,
                                          windowMillis: config.auditWindowMillis, logger: logger)],
        onServerRunning: { channel in
            // Tests and operators read the bound port from this line (port 0 picks one).
            let port = channel.localAddress?.port ?? config.port
            logger.notice("listening", metadata: ["url": .string("\(scheme)://\(config.host):\(port)"), "database": .string(config.database.description)])
        },
        logger: logger
    )
}
