import Foundation
import SeclabHTTP
import SeclabTestSupport
#if canImport(Glibc)
import Glibc
#endif

extension ServerProcess {
    /// The `/metrics` page parsed into `name{labels}` → value.
    func metrics() throws -> Metrics {
        let response = try HTTP.request("GET", baseURL + "/metrics")
        guard response.status == 200 else { throw TestSupportError("/metrics answered \(response.status)") }
        return Metrics(text: String(decoding: response.body, as: UTF8.self))
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
