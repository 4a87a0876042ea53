import Foundation
import SeclabHTTP
import SeclabTestSupport
#if canImport(Glibc)
import Glibc
#endif

/// A real `seclab-server` that a test may `kill -9` and start again on the same database and
/// the same port, so clients and proxies keep their URL across the crash.
///
/// Unlike `ServerProcess`, the database is any URL (an SQLite file anywhere, e.g. on a tiny
/// tmpfs, or a PostgreSQL cluster), and every start appends to one log file.
final class Daemon: @unchecked Sendable {
    let databaseURL: String
    let directory: URL
    let logURL: URL
    let environment: [String: String]
    private(set) var pid: pid_t = 0
    private(set) var port = 0
    private var starts = 0
    private var reaped = true

    var baseURL: String { "http://127.0.0.1:\(port)" }

    /// True while the process has not exited (it is reaped here when it has).
    var isRunning: Bool {
        guard !reaped else { return false }
        var status: Int32 = 0
        if waitpid(pid, &status, WNOHANG) == pid { reaped = true }
        return !reaped
    }

    /// Start on `databaseURL`, or on a fresh SQLite file in a new temporary directory.
    init(databaseURL: String? = nil, environment: [String: String] = [:]) throws {
        directory = FileManager.default.temporaryDirectory.appendingPathComponent("seclab-res-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        logURL = directory.appendingPathComponent("server.log")
        _ = FileManager.default.createFile(atPath: logURL.path, contents: nil)
        self.databaseURL = databaseURL ?? "sqlite:\(directory.appendingPathComponent("seclab.db").path)"
        self.environment = environment
        try start()
    }

    /// The SQLite file, when the database is one.
    var sqlitePath: String? { databaseURL.hasPrefix("sqlite:") ? String(databaseURL.dropFirst("sqlite:".count)) : nil }

    /// Start (again): same database, same port once one was bound.
    func start(timeout: TimeInterval = 60) throws {
        var env = ProcessInfo.processInfo.environment
        env.merge(environment) { $1 }
        pid = try Spawn.start(try Binaries.url(named: "seclab-server").path, ["serve", "--listen", "127.0.0.1:\(port)", "--database", databaseURL],
                              environment: env, stdout: logURL.path, stderr: logURL.path)
        reaped = false
        starts += 1
        // Each start logs one "listening … url=http://127.0.0.1:PORT" line; wait for ours.
        let deadline = Date().addingTimeInterval(timeout)
        while Date() < deadline {
            let lines = self.log().components(separatedBy: "url=http://127.0.0.1:")
            if lines.count > starts, let port = Int(lines[starts].prefix { $0.isNumber }) {
                self.port = port
                return
            }
            if !isRunning { throw TestSupportError("seclab-server exited early:\n\(self.log().suffix(2000))") }
            usleep(20_000)
        }
        throw TestSupportError("seclab-server did not start within \(timeout) s:\n\(self.log().suffix(2000))")
    }

    /// `kill -9` and reap: no shutdown hook, no checkpoint, no goodbye to the database.
    func kill9() {
        guard !reaped else { return }
        kill(pid, SIGKILL)
        _ = Spawn.wait(pid, timeout: 30)
        reaped = true
    }

    /// Kill, then start on the same database and port.
    func restart() throws {
        kill9()
        try start()
    }

    func log() -> String { (try? String(contentsOf: logURL, encoding: .utf8)) ?? "" }

    /// `VmHWM` (peak resident set) and `VmRSS` of the server, in KiB.
    func memory() -> (peakKiB: Int, currentKiB: Int) {
        let status = (try? String(contentsOfFile: "/proc/\(pid)/status", encoding: .utf8)) ?? ""
        func field(_ name: String) -> Int {
            guard let line = status.split(separator: "\n").first(where: { $0.hasPrefix(name + ":") }) else { return -1 }
            return Int(line.split(separator: " ", omittingEmptySubsequences: true).dropFirst().first ?? "") ?? -1
        }
        return (field("VmHWM"), field("VmRSS"))
    }

    /// The `/metrics` page parsed into `name{labels}` → value.
    func metrics() throws -> Metrics {
        let response = try HTTP.request("GET", baseURL + "/metrics")
        guard response.status == 200 else { throw TestSupportError("/metrics answered \(response.status)") }
        return Metrics(text: String(decoding: response.body, as: UTF8.self))
    }

    deinit {
        kill9()
        try? FileManager.default.removeItem(at: directory)
    }
}

/// A Prometheus text page: `value("seclab_throttled_total", #"kind="machine""#)`.
struct Metrics {
    var values: [String: Double] = [:]

    init(text: String) {
        for line in text.split(separator: "\n") where !line.hasPrefix("#") {
            guard let space = line.lastIndex(of: " "), let value = Double(line[line.index(after: space)...]) else { continue }
            values[String(line[..<space])] = value
        }
    }

    /// One series; 0 when the server never counted it.
    func value(_ name: String, _ labels: String) -> Double { values["\(name){\(labels)}"] ?? 0 }

    /// Requests of `method route` that ended with `status`.
    func requests(_ method: String, _ route: String, status: Int) -> Double {
        value("seclab_http_requests_total", "method=\"\(method)\",route=\"\(route)\",status=\"\(status)\"")
    }

    /// `after - before` for every series (for measuring one phase of a test).
    static func - (after: Metrics, before: Metrics) -> Metrics {
        var delta = after
        for (key, value) in after.values { delta.values[key] = value - (before.values[key] ?? 0) }
        return delta
    }
}

/// One HTTP exchange without retries, for tests that count every request themselves.
enum HTTP {
    static func client(timeout: Double = 15) throws -> HTTPClient {
        var options = HTTPClientOptions()
        options.maxAttempts = 1
        options.totalTimeout = timeout
        options.connectTimeout = 2
        return try HTTPClient(options: options)
    }

    static func request(_ method: String, _ url: String, headers: [(name: String, value: String)] = [], body: String? = nil,
                        client: HTTPClient? = nil) throws -> HTTPResponse {
        let http = try client ?? Self.client()
        var all = headers
        if body != nil { all.append(("Content-Type", "application/json")) }
        return try http.send(HTTPRequest(method: method, url: url, headers: all, body: body.map { Array($0.utf8) }, idempotent: false))
    }
}

/// A free TCP port on loopback (bound and released: good enough for a test's own children).
func freeLoopbackPort() -> Int {
    let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
    defer { close(fd) }
    var address = sockaddr_in()
    address.sin_family = sa_family_t(AF_INET)
    address.sin_addr.s_addr = inet_addr("127.0.0.1")
    var length = socklen_t(MemoryLayout<sockaddr_in>.size)
    _ = withUnsafeMutablePointer(to: &address) { pointer in
        pointer.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, length) }
    }
    _ = withUnsafeMutablePointer(to: &address) { pointer in
        pointer.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(fd, $0, &length) }
    }
    return Int(UInt16(bigEndian: address.sin_port))
}
