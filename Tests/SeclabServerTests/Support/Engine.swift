import Foundation
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
        guard let base = postgresURL, var components = URLComponents(string: base) else { throw TestFailure("no PostgreSQL URL") }
        let name = "seclab_t_" + UUID().uuidString.replacingOccurrences(of: "-", with: "").prefix(16).lowercased()
        let psql = Process()
        psql.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        psql.arguments = ["psql", base, "-qc", "CREATE DATABASE \(name)"]
        psql.standardOutput = FileHandle.nullDevice
        try psql.run()
        psql.waitUntilExit()
        guard psql.terminationStatus == 0 else { throw TestFailure("psql could not create a test database on \(base)") }
        components.path = "/" + name
        return components.string!
    }
}
