// Brute force, faults with nothing lost, load and process hygiene.
//
// Every test drives real processes (seclab-server, seclab, seclab-run, PostgreSQL) and
// measures what they did. The suites run one after another: they kill servers, fill
// disks and load two cores, and timing measured next to one another would be noise.
import Foundation
import SeclabTestSupport
import Testing

@Suite(.serialized) struct Resilience {}

/// `sqlite3 -batch DB SQL` (Debian's `sqlite3`): the database as the engine itself sees it.
func sqlite3(_ database: String, _ sql: String) throws -> String {
    let binary = "/usr/bin/sqlite3"
    guard FileManager.default.isExecutableFile(atPath: binary) else {
        throw TestSupportError("/usr/bin/sqlite3 missing: install Debian's sqlite3 (scripts/install-deps)")
    }
    let result = try Spawn.capture(binary, ["-batch", database, sql], environment: ["PATH": "/usr/bin:/bin"], timeout: 60)
    guard result.status == 0 else { throw TestSupportError("sqlite3 failed (\(result.status)): \(result.stderr)") }
    return String(decoding: result.stdout, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
}

/// Seconds since `start`, for printing.
func seconds(since start: Date) -> String { String(format: "%.2f", Date().timeIntervalSince(start)) }
