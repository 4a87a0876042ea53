import Foundation
import SeclabTestSupport

/// Run `executable` with `arguments`, stderr discarded, and return its stdout; throws naming
/// `what` when it exits non-zero. The one way this suite runs a tool (sqlite3, psql, pg_dump).
/// Spawned and reaped with `waitpid` (`Spawn.capture`): Foundation's `Process` once missed a
/// `psql` that had exited, and waited for it forever.
func captureStdout(_ executable: String, _ arguments: [String], what: String) throws -> Data {
    let run = try Spawn.capture(executable, arguments, environment: ProcessInfo.processInfo.environment)
    guard run.status == 0 else { throw TestFailure("\(what) failed (exit \(run.status))") }
    return Data(run.stdout)
}

/// A failed step of a server test (a tool that exited non-zero, no PostgreSQL URL).
struct TestFailure: Error, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = description }
}
