import Foundation
import Testing
#if canImport(Glibc)
import Glibc
#endif

/// A real `seclab-server` process on a free loopback port, with its log in a file.
final class ServerProcess: @unchecked Sendable {
    let process = Process()
    let directory: URL
    let logURL: URL
    let databaseURL: String
    let engine: Engine
    private(set) var baseURL = ""

    /// Where `swift build` put the binary: `SECLAB_SERVER_BIN`, else the package's `.build*/debug`.
    static func binary() throws -> URL {
        if let path = ProcessInfo.processInfo.environment["SECLAB_SERVER_BIN"], !path.isEmpty { return URL(fileURLWithPath: path) }
        var root = URL(fileURLWithPath: #filePath)
        while root.path != "/" {
            root.deleteLastPathComponent()
            if FileManager.default.fileExists(atPath: root.appendingPathComponent("Package.swift").path) { break }
        }
        let builds = ((try? FileManager.default.contentsOfDirectory(atPath: root.path)) ?? []).filter { $0.hasPrefix(".build") }
        var candidates: [(URL, Date)] = []
        for build in builds {
            for triple in ["debug", "x86_64-unknown-linux-gnu/debug", "aarch64-unknown-linux-gnu/debug"] {
                let url = root.appendingPathComponent(build).appendingPathComponent(triple).appendingPathComponent("seclab-server")
                guard FileManager.default.isExecutableFile(atPath: url.path) else { continue }
                let modified = (try? url.resourceValues(forKeys: [.contentModificationDateKey]).contentModificationDate) ?? .distantPast
                candidates.append((url, modified ?? .distantPast))
            }
        }
        candidates.sort { $0.1 > $1.1 }
        guard let found = candidates.first?.0 else {
            throw TestFailure("seclab-server binary not found: run `swift build` first or set SECLAB_SERVER_BIN")
        }
        return found
    }

    /// Start a server on `engine`; for PostgreSQL several servers may share `databaseURL`.
    init(engine: Engine, databaseURL: String? = nil, extraArguments: [String] = [], environment: [String: String] = [:]) throws {
        self.engine = engine
        directory = FileManager.default.temporaryDirectory.appendingPathComponent("seclab-test-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        logURL = directory.appendingPathComponent("server.log")
        switch engine {
        case .sqlite: self.databaseURL = databaseURL ?? "sqlite:\(directory.appendingPathComponent("seclab.db").path)"
        case .postgres:
            self.databaseURL = try databaseURL ?? Engine.freshPostgresDatabase()
        }
        FileManager.default.createFile(atPath: logURL.path, contents: nil)
        let log = try FileHandle(forWritingTo: logURL)
        process.executableURL = try Self.binary()
        process.arguments = ["serve", "--listen", "127.0.0.1:0", "--database", self.databaseURL] + extraArguments
        process.currentDirectoryURL = directory
        var env = ProcessInfo.processInfo.environment
        env.merge(environment) { $1 }
        process.environment = env
        process.standardOutput = log
        process.standardError = log
        try process.run()
    }

    /// Wait for the "listening" log line and read the URL from it.
    func waitUntilListening(timeout: Double = 60) async throws {
        let deadline = Date().addingTimeInterval(timeout)
        while Date() < deadline {
            let text = log()
            if let range = text.range(of: "url=http://127.0.0.1:") {
                let rest = text[range.upperBound...]
                let port = rest.prefix { $0.isNumber }
                baseURL = "http://127.0.0.1:\(port)"
                return
            }
            if !process.isRunning { throw TestFailure("seclab-server exited early:\n\(text)") }
            try await Task.sleep(for: .milliseconds(50))
        }
        throw TestFailure("seclab-server did not start within \(timeout) s:\n\(log())")
    }

    static func start(_ engine: Engine, databaseURL: String? = nil) async throws -> ServerProcess {
        let server = try ServerProcess(engine: engine, databaseURL: databaseURL)
        try await server.waitUntilListening()
        return server
    }

    func log() -> String { (try? String(contentsOf: logURL, encoding: .utf8)) ?? "" }

    /// SIGTERM, then wait: the server must shut down gracefully and exit 0. The scratch
    /// directory (database file, log) is removed afterwards.
    @discardableResult
    func stop() async -> Int32 {
        if process.isRunning { kill(process.processIdentifier, SIGTERM) }
        let deadline = Date().addingTimeInterval(20)
        while process.isRunning, Date() < deadline { try? await Task.sleep(for: .milliseconds(50)) }
        if process.isRunning { kill(process.processIdentifier, SIGKILL); process.waitUntilExit() }
        let status = process.terminationStatus
        if status == 0 { try? FileManager.default.removeItem(at: directory) }
        return status
    }

    /// Every byte the scenario left on disk for this server: the SQLite file with its WAL and
    /// shared memory, or a pg_dump of the PostgreSQL database; plus the server log.
    func persistedBytes() throws -> Data {
        var data = Data(log().utf8)
        switch engine {
        case .sqlite:
            let base = String(databaseURL.dropFirst("sqlite:".count))
            for suffix in ["", "-wal", "-shm"] {
                if let bytes = FileManager.default.contents(atPath: base + suffix) { data.append(bytes) }
            }
        case .postgres:
            let bytes = try captureStdout("/usr/bin/env", ["pg_dump", "--data-only", databaseURL.replacingOccurrences(of: "?sslmode=disable", with: "")],
                                          what: "pg_dump")
            guard !bytes.isEmpty else { throw TestFailure("pg_dump printed nothing") }
            data.append(bytes)
        }
        return data
    }

    deinit {
        if process.isRunning { kill(process.processIdentifier, SIGKILL) }
    }
}

struct TestFailure: Error, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = description }
}
