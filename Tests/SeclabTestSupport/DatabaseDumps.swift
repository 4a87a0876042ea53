import Foundation

/// A fresh, empty database on the throwaway PostgreSQL cluster of `scripts/pg-test-cluster.sh`
/// (`SECLAB_TEST_POSTGRES_URL`, set by `scripts/test`), and its `pg_dump`.
public struct PostgresTestDatabase: Sendable {
    /// `SECLAB_TEST_POSTGRES_URL`, or nil when PostgreSQL tests should be skipped.
    public static var clusterURL: String? {
        let value = ProcessInfo.processInfo.environment["SECLAB_TEST_POSTGRES_URL"]
        return value?.isEmpty == false ? value : nil
    }

    /// The reason shown when PostgreSQL cases are skipped.
    public static let skipReason = "SECLAB_TEST_POSTGRES_URL is unset: PostgreSQL cases skipped (run scripts/pg-test-cluster.sh start)"

    /// The new database's URL, for `seclab-server --database`.
    public let url: String

    /// Create a database with a random name on the cluster (as the cluster's `postgres` user,
    /// which the URL names).
    public init() throws {
        guard let base = Self.clusterURL, var components = URLComponents(string: base) else {
            throw TestSupportError("SECLAB_TEST_POSTGRES_URL is unset")
        }
        let name = "seclab_h_" + UUID().uuidString.replacingOccurrences(of: "-", with: "").prefix(16).lowercased()
        let result = try runProcess(URL(fileURLWithPath: "/usr/bin/env"), arguments: ["psql", Self.plain(base), "-qc", "CREATE DATABASE \(name)"],
                                    environment: ["PATH": "/usr/bin:/bin"], timeout: 60)
        guard result.status == 0 else { throw TestSupportError("psql could not create a database on \(base): \(result.stderr)") }
        components.path = "/" + name
        url = components.string!
    }

    /// A full `pg_dump` (schema and data, plain SQL) of this database: what a stolen backup holds.
    public func dump() throws -> [UInt8] {
        let result = try runProcess(URL(fileURLWithPath: "/usr/bin/env"), arguments: ["pg_dump", "--no-owner", Self.plain(url)],
                                    environment: ["PATH": "/usr/bin:/bin"], timeout: 120)
        guard result.status == 0, !result.stdout.isEmpty else { throw TestSupportError("pg_dump failed: \(result.stderr)") }
        return result.stdout
    }

    /// Drop the database (best effort).
    public func drop() {
        guard let base = Self.clusterURL, let name = URLComponents(string: url)?.path.dropFirst() else { return }
        _ = try? runProcess(URL(fileURLWithPath: "/usr/bin/env"),
                            arguments: ["psql", Self.plain(base), "-qc", "DROP DATABASE IF EXISTS \(name) WITH (FORCE)"],
                            environment: ["PATH": "/usr/bin:/bin"], timeout: 60)
    }

    /// libpq does not know the server's `sslmode=disable` spelling in every version: drop the query.
    private static func plain(_ url: String) -> String {
        String(url.prefix { $0 != "?" })
    }
}

extension ServerProcess {
    /// The SQLite database as SQL text (Python's `sqlite3` `iterdump`, the test image has no
    /// sqlite3 CLI): every live row with its columns separated, like a `pg_dump`. Reads through
    /// the WAL, so it sees what the running server committed.
    public func sqliteDump() throws -> [UInt8] {
        let script = "import sqlite3, sys\nfor line in sqlite3.connect(sys.argv[1], timeout=30).iterdump(): print(line)"
        let result = try runProcess(URL(fileURLWithPath: "/usr/bin/python3"), arguments: ["-c", script, databasePath],
                                    environment: ["PATH": "/usr/bin:/bin"], timeout: 60)
        guard result.status == 0, !result.stdout.isEmpty else { throw TestSupportError("sqlite dump failed: \(result.stderr)") }
        return result.stdout
    }
}
