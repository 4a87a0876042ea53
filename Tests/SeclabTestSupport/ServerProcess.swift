public import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// A real `seclab-server` on 127.0.0.1 with a free port and a fresh SQLite file in a temporary
/// directory; its log goes to a file. Killed on deinit if still running.
public final class ServerProcess: @unchecked Sendable {
    /// The process.
    public let process = Process()
    /// The temporary directory holding the database and the log.
    public let directory: URL
    /// The server's combined stdout/stderr.
    public let logURL: URL
    /// The SQLite file.
    public let databasePath: String
    /// `http://127.0.0.1:PORT`, known once the server listens.
    public private(set) var baseURL = ""

    /// Start a server (`serve --listen 127.0.0.1:0 --database sqlite:…`) and wait until it listens.
    /// With `sharing`, it serves that SQLite file (a second server beside the first, e.g. with TLS).
    public init(extraArguments: [String] = [], environment: [String: String] = [:], timeout: TimeInterval = 60,
                sharing database: String? = nil) throws {
        directory = FileManager.default.temporaryDirectory.appendingPathComponent("seclab-server-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        logURL = directory.appendingPathComponent("server.log")
        databasePath = database ?? directory.appendingPathComponent("seclab.db").path
        _ = FileManager.default.createFile(atPath: logURL.path, contents: nil)
        let log = try FileHandle(forWritingTo: logURL)
        process.executableURL = try Binaries.url(named: "seclab-server")
        process.arguments = ["serve", "--listen", "127.0.0.1:0", "--database", "sqlite:\(databasePath)"] + extraArguments
        process.currentDirectoryURL = directory
        var env = ProcessInfo.processInfo.environment
        env.merge(environment) { $1 }
        process.environment = env
        process.standardOutput = log
        process.standardError = log
        process.standardInput = FileHandle.nullDevice
        try process.run()
        try waitUntilListening(timeout: timeout)
    }

    /// Read the bound port from the "listening … url=http(s)://127.0.0.1:PORT" log line.
    private func waitUntilListening(timeout: TimeInterval) throws {
        let deadline = Date().addingTimeInterval(timeout)
        while Date() < deadline {
            let text = log()
            for scheme in ["http", "https"] {
                if let range = text.range(of: "url=\(scheme)://127.0.0.1:") {
                    let port = text[range.upperBound...].prefix { $0.isNumber }
                    if !port.isEmpty {
                        baseURL = "\(scheme)://127.0.0.1:\(port)"
                        return
                    }
                }
            }
            if !process.isRunning { throw TestSupportError("seclab-server exited early:\n\(text)") }
            usleep(50_000)
        }
        throw TestSupportError("seclab-server did not start within \(timeout) s:\n\(log())")
    }

    /// The log so far.
    public func log() -> String { (try? String(contentsOf: logURL, encoding: .utf8)) ?? "" }

    /// Every byte the server left on disk: the SQLite file, its WAL and shared memory, and the log.
    public func persistedBytes() -> [UInt8] {
        var bytes = Array(log().utf8)
        for suffix in ["", "-wal", "-shm", "-journal"] {
            if let data = FileManager.default.contents(atPath: databasePath + suffix) { bytes += Array(data) }
        }
        return bytes
    }

    /// SIGTERM, wait up to 20 s, then SIGKILL. Returns the exit status.
    @discardableResult
    public func stop() -> Int32 {
        if process.isRunning { kill(process.processIdentifier, SIGTERM) }
        let deadline = Date().addingTimeInterval(20)
        while process.isRunning, Date() < deadline { usleep(50_000) }
        if process.isRunning { kill(process.processIdentifier, SIGKILL) }
        process.waitUntilExit()
        return process.terminationStatus
    }

    deinit {
        if process.isRunning { kill(process.processIdentifier, SIGKILL) }
        try? FileManager.default.removeItem(at: directory)
    }
}
