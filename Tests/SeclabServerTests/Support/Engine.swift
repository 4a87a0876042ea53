import Foundation
import SeclabTestSupport
import Testing

/// The database engines the suites run against. PostgreSQL needs `SECLAB_TEST_POSTGRES_URL`
/// (`scripts/pg-test-cluster.sh start` prints one); without it those suites are skipped with
/// a visible reason.
enum Engine: String, Sendable, CustomStringConvertible {
    case sqlite, postgres

    static var postgresURL: String? {
        let value = ProcessInfo.processInfo.environment["SECLAB_TEST_POSTGRES_URL"]
        return value?.isEmpty == false ? value : nil
    }

    static let postgresSkipReason: Comment = "SECLAB_TEST_POSTGRES_URL is unset: PostgreSQL cases skipped (run scripts/pg-test-cluster.sh start)"

    var description: String { rawValue }

    /// A new empty database on the test cluster, so every scenario starts from nothing
    /// (throttle counters and audit rows included).
    static func freshPostgresDatabase() throws -> String {
        guard postgresURL != nil else { throw TestFailure("no PostgreSQL URL") }
        return try PostgresTestDatabase().url
    }
}

extension ServerProcess {
    /// Start a server on `engine` without waiting for it (`waitUntilListening()` does): on
    /// PostgreSQL a fresh database unless `databaseURL` names one that several servers share.
    convenience init(engine: Engine, databaseURL: String? = nil, extraArguments: [String] = [], environment: [String: String] = [:]) throws {
        let database: String? = switch engine {
        case .sqlite: databaseURL
        case .postgres: try databaseURL ?? Engine.freshPostgresDatabase()
        }
        try self.init(databaseURL: database, extraArguments: extraArguments, environment: environment, wait: false)
    }

    /// Start a server on `engine` and wait until it listens.
    static func start(_ engine: Engine, databaseURL: String? = nil) async throws -> ServerProcess {
        let server = try ServerProcess(engine: engine, databaseURL: databaseURL)
        try await server.waitUntilListening()
        return server
    }

    /// The engine behind `databaseURL`.
    var engine: Engine { sqlitePath == nil ? .postgres : .sqlite }
}
