import Foundation

/// Run `executable` with `arguments`, stderr discarded, and return its stdout; throws naming
/// `what` when it exits non-zero. The one way this suite runs a tool (sqlite3, psql, pg_dump).
func captureStdout(_ executable: String, _ arguments: [String], what: String) throws -> Data {
    let process = Process()
    process.executableURL = URL(fileURLWithPath: executable)
    process.arguments = arguments
    let pipe = Pipe()
    process.standardOutput = pipe
    process.standardError = FileHandle.nullDevice
    try process.run()
    let data = pipe.fileHandleForReading.readDataToEndOfFile()
    process.waitUntilExit()
    guard process.terminationStatus == 0 else { throw TestFailure("\(what) failed (exit \(process.terminationStatus))") }
    return data
}

/// A failed step of a server test (a tool that exited non-zero, no PostgreSQL URL).
struct TestFailure: Error, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = description }
}
