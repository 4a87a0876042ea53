import Foundation
import SeclabTestSupport

/// Run a program the way the GitHub runner runs a step: stdout and stderr are two pipes
/// (actions/runner src/Runner.Worker/Handlers/ScriptHandler.cs), unless the step redirected
/// stdout into `stdoutFile`.
func runWithPipes(_ url: URL, arguments: [String], environment: [String: String],
                  stdoutFile: URL? = nil) throws -> (status: Int32, stdout: [UInt8], stderr: [UInt8]) {
    let process = Process()
    process.executableURL = url
    process.arguments = arguments
    process.environment = environment
    process.standardInput = FileHandle.nullDevice
    let outPipe = Pipe(), errPipe = Pipe()
    if let stdoutFile {
        FileManager.default.createFile(atPath: stdoutFile.path, contents: nil)
        process.standardOutput = try FileHandle(forWritingTo: stdoutFile)
    } else {
        process.standardOutput = outPipe
    }
    process.standardError = errPipe
    try process.run()
    // Both pipes are drained at once so a full pipe never blocks the child.
    final class Reader: @unchecked Sendable {
        let handle: FileHandle
        var data = Data()
        init(_ handle: FileHandle) { self.handle = handle }
    }
    let out = Reader(outPipe.fileHandleForReading), err = Reader(errPipe.fileHandleForReading)
    let group = DispatchGroup()
    if stdoutFile == nil {
        DispatchQueue.global().async(group: group) { out.data = out.handle.readDataToEndOfFile() }
    }
    DispatchQueue.global().async(group: group) { err.data = err.handle.readDataToEndOfFile() }
    process.waitUntilExit()
    group.wait()
    return (process.terminationStatus, Array(out.data), Array(err.data))
}
