public import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// A real `seclab-server` on loopback: the one way every suite starts one.
///
/// The database is a fresh SQLite file in the server's temporary directory, or any URL (an
/// SQLite file elsewhere, a PostgreSQL database); extra flags and environment come on top.
/// stdout and stderr go to one log file that every start appends to (tests scan it). The
/// first start binds a free port (port 0); `start()` after `kill9()`, or `restart()`, serves
/// the same database on the same port, so clients and proxies keep their URL across a crash.
/// Killed with SIGKILL and its directory removed on deinit.
public final class ServerProcess: @unchecked Sendable {
    /// The temporary directory holding the SQLite file (by default) and the log.
    public let directory: URL
    /// The server's stdout and stderr, every start appended.
    public let logURL: URL
    /// What `--database` says: `sqlite:PATH` or a `postgres://` URL.
    public let databaseURL: String
    /// The SQLite file: the database's when it is one, else an unused file in `directory`.
    public let databasePath: String
    /// Flags after `serve --listen 127.0.0.1:PORT --database URL` (a repeated flag wins).
    public let extraArguments: [String]
    /// Variables set on top of the test runner's environment.
    public let environment: [String: String]
    /// The running (or last) server process.
    public private(set) var process: ChildProcess
    /// The bound port, once a start was seen listening (0 before).
    public private(set) var port = 0
    /// `http(s)://127.0.0.1:PORT`, once a start was seen listening.
    public private(set) var baseURL = ""
    private var starts = 0

    /// Start a server and, unless `wait` is false, block until it listens (`timeout` seconds).
    /// `databaseURL` replaces the SQLite file in the directory; `sharing` serves another
    /// server's SQLite file (a second server beside the first, or the next version of it).
    public init(databaseURL: String? = nil, extraArguments: [String] = [], environment: [String: String] = [:],
                timeout: TimeInterval = 60, sharing sqlitePath: String? = nil, wait: Bool = true) throws {
        directory = FileManager.default.temporaryDirectory.appendingPathComponent("seclab-server-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        logURL = directory.appendingPathComponent("server.log")
        _ = FileManager.default.createFile(atPath: logURL.path, contents: nil)
        let path = sqlitePath ?? directory.appendingPathComponent("seclab.db").path
        self.databaseURL = databaseURL ?? "sqlite:\(path)"
        databasePath = self.databaseURL.hasPrefix("sqlite:") ? String(self.databaseURL.dropFirst("sqlite:".count)) : path
        self.extraArguments = extraArguments
        self.environment = environment
        process = ChildProcess(pid: 0)
        try launch()
        if wait { try waitUntilListening(timeout: timeout) }
    }

    /// The SQLite file, when the database is one.
    public var sqlitePath: String? { databaseURL.hasPrefix("sqlite:") ? databasePath : nil }
    /// The server's PID.
    public var pid: pid_t { process.processIdentifier }
    /// True while the server process has not exited.
    public var isRunning: Bool { process.isRunning }

    /// Start (again) on the same database, and the same port once one was bound; block until
    /// it listens.
    public func start(timeout: TimeInterval = 60) throws {
        try launch()
        try waitUntilListening(timeout: timeout)
    }

    /// `kill -9`, then start on the same database and port.
    public func restart(timeout: TimeInterval = 60) throws {
        kill9()
        try start(timeout: timeout)
    }

    private func launch() throws {
        var env = ProcessInfo.processInfo.environment
        env.merge(environment) { $1 }
        let arguments = ["serve", "--listen", "127.0.0.1:\(port)", "--database", databaseURL] + extraArguments
        process = ChildProcess(pid: try Spawn.start(try Binaries.url(named: "seclab-server").path, arguments, environment: env,
                                                    stdout: logURL.path, stderr: logURL.path))
        starts += 1
    }

    /// Block until this start logged its "listening … url=http(s)://127.0.0.1:PORT" line.
    public func waitUntilListening(timeout: TimeInterval = 60) throws {
        let deadline = Date().addingTimeInterval(timeout)
        while Date() < deadline {
            if try listening() { return }
            usleep(20_000)
        }
        throw TestSupportError("seclab-server did not start within \(timeout) s:\n\(log().suffix(2000))")
    }

    /// `waitUntilListening` without holding a thread of the cooperative pool: the suites that
    /// poll asynchronously starve when blocking suites hold both cores (see scripts/test).
    public func waitUntilListening(timeout: TimeInterval = 60) async throws {
        let deadline = Date().addingTimeInterval(timeout)
        while Date() < deadline {
            if try listening() { return }
            try await Task.sleep(for: .milliseconds(50))
        }
        throw TestSupportError("seclab-server did not start within \(timeout) s:\n\(log().suffix(2000))")
    }

    /// True once the current start's "listening" line is in the log (each start logs one);
    /// throws when the server exited first.
    private func listening() throws -> Bool {
        let text = log()
        var seen = 0, index = text.startIndex
        while let found = text.range(of: "url=", range: index..<text.endIndex) {
            index = found.upperBound
            let rest = text[found.upperBound...]
            for scheme in ["http", "https"] where rest.hasPrefix("\(scheme)://127.0.0.1:") {
                seen += 1
                let digits = rest.dropFirst("\(scheme)://127.0.0.1:".count).prefix { $0.isNumber }
                if seen == starts, let bound = Int(digits) {
                    port = bound
                    baseURL = "\(scheme)://127.0.0.1:\(bound)"
                    return true
                }
            }
        }
        if !process.isRunning { throw TestSupportError("seclab-server exited early:\n\(text.suffix(2000))") }
        return false
    }

    /// The log so far (every start).
    public func log() -> String { (try? String(contentsOf: logURL, encoding: .utf8)) ?? "" }

    /// Every byte the server left on disk: the SQLite file, its WAL and shared memory, and the log.
    public func persistedBytes() -> [UInt8] {
        var bytes = Array(log().utf8)
        for suffix in ["", "-wal", "-shm", "-journal"] {
            if let data = FileManager.default.contents(atPath: databasePath + suffix) { bytes += Array(data) }
        }
        return bytes
    }

    /// Every byte the server stored, on either engine: the log, then the SQLite files or a
    /// data-only `pg_dump` of the PostgreSQL database.
    public func storedBytes() throws -> [UInt8] {
        guard sqlitePath == nil else { return persistedBytes() }
        let result = try runProcess(URL(fileURLWithPath: "/usr/bin/env"),
                                    arguments: ["pg_dump", "--data-only", String(databaseURL.prefix { $0 != "?" })],
                                    environment: ["PATH": "/usr/bin:/bin"], timeout: 120)
        guard result.status == 0, !result.stdout.isEmpty else { throw TestSupportError("pg_dump failed: \(result.stderr)") }
        return Array(log().utf8) + result.stdout
    }

    /// `VmHWM` (peak resident set) and `VmRSS` of the server, in KiB (-1 when unknown).
    public func memory() -> (peakKiB: Int, currentKiB: Int) {
        let status = (try? String(contentsOfFile: "/proc/\(pid)/status", encoding: .utf8)) ?? ""
        func field(_ name: String) -> Int {
            guard let line = status.split(separator: "\n").first(where: { $0.hasPrefix(name + ":") }) else { return -1 }
            return Int(line.split(separator: " ", omittingEmptySubsequences: true).dropFirst().first ?? "") ?? -1
        }
        return (field("VmHWM"), field("VmRSS"))
    }

    /// Send `signal` (e.g. SIGSTOP, SIGCONT) to the running server.
    public func signal(_ signal: Int32) { process.signal(signal) }

    /// `kill -9` and reap: no shutdown hook, no checkpoint, no goodbye to the database.
    public func kill9() {
        process.signal(SIGKILL)
        process.waitUntilExit()
    }

    /// SIGTERM, wait up to 20 s, then SIGKILL. Returns the exit status (0: graceful).
    @discardableResult
    public func stop() -> Int32 {
        process.signal(SIGTERM)
        let deadline = Date().addingTimeInterval(20)
        while process.isRunning, Date() < deadline { usleep(50_000) }
        return reap()
    }

    /// `stop()` without holding a thread of the cooperative pool.
    @discardableResult
    public func stop() async -> Int32 {
        process.signal(SIGTERM)
        let deadline = Date().addingTimeInterval(20)
        while process.isRunning, Date() < deadline { try? await Task.sleep(for: .milliseconds(50)) }
        return reap()
    }

    private func reap() -> Int32 {
        process.signal(SIGKILL)
        process.waitUntilExit()
        return process.terminationStatus
    }

    deinit {
        kill9()
        try? FileManager.default.removeItem(at: directory)
    }
}
