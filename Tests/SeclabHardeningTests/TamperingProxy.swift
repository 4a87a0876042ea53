import Foundation
import SeclabTestSupport
#if canImport(Glibc)
import Glibc
#endif

/// A request as the client sent it to the proxy.
struct ProxiedRequest: Sendable {
    /// `GET`, `POST`, …
    let method: String
    /// The request target: path and query.
    let target: String
    /// Header lines as received.
    let headers: [(name: String, value: String)]
    /// The body.
    let body: [UInt8]
    /// The path without the query.
    var path: String { String(target.prefix { $0 != "?" }) }
}

/// A response on its way back to the client; an attack may change any of it.
struct ProxiedResponse: Sendable {
    /// The HTTP status.
    var status: Int
    /// Header lines (Content-Length, Transfer-Encoding and Connection are set by the proxy).
    var headers: [(name: String, value: String)]
    /// The body.
    var body: [UInt8]
    /// When set, announce the whole body but send only this many bytes, then close: a
    /// response cut on the wire rather than a shorter, well-framed one.
    var cutAfter: Int? = nil
}

/// What an attack does: edit the upstream's response to one request in place.
typealias Rewrite = @Sendable (ProxiedRequest, inout ProxiedResponse) -> Void

/// A malicious server in front of a real one: a tiny HTTP/1.1 proxy on loopback that forwards
/// every request to the real `seclab-server`, lets `rewrite` change the answer, and records
/// every exchange as the client saw it.
///
/// Why raw sockets on plain threads, not an async server: the tests drive the real binaries
/// with blocking waits, and a proxy that needed the cooperative thread pool could starve on a
/// 2-core machine. One connection carries one request (`Connection: close`), which libcurl
/// handles like any server that closes.
final class TamperingProxy: @unchecked Sendable {
    /// `http://127.0.0.1:PORT` of the proxy.
    let baseURL: String
    private let upstreamPort: UInt16
    private let listener: Int32
    private let rewrite: Rewrite
    private let lock = NSLock()
    private var recorded: [Exchange] = []
    private var closed = false

    /// One request and the answer the client got, with what the real server had answered.
    struct Exchange: Sendable {
        /// The request as the client sent it.
        let request: ProxiedRequest
        /// The answer as the client received it (after the rewrite).
        let response: ProxiedResponse
        /// The real server's body, before the rewrite.
        let upstreamBody: [UInt8]
        /// True when the attack changed the answer.
        var tampered: Bool { response.body != upstreamBody || response.cutAfter != nil }
    }

    /// Listen on a free loopback port and forward to `upstream` (`http://127.0.0.1:PORT`).
    init(upstream: String, rewrite: @escaping Rewrite = { _, _ in }) throws {
        guard let port = UInt16(upstream.split(separator: ":").last ?? "") else { throw ProxyError("bad upstream \(upstream)") }
        upstreamPort = port
        self.rewrite = rewrite
        guard let (fd, port) = LoopbackSocket.listen(backlog: 64) else { throw ProxyError("bind/listen: \(errno)") }
        listener = fd
        baseURL = "http://127.0.0.1:\(port)"
        Thread.detachNewThread { [self] in acceptLoop(fd) }
    }

    /// Stop accepting (connections in flight finish on their own threads). Idempotent.
    func close() {
        lock.lock(); defer { lock.unlock() }
        guard !closed else { return }
        closed = true
        shutdown(listener, Int32(SHUT_RDWR))
    }

    /// Every exchange so far, as the client saw it (after the rewrite).
    var exchanges: [Exchange] {
        lock.lock(); defer { lock.unlock() }
        return recorded
    }

    private func acceptLoop(_ fd: Int32) {
        while true {
            let client = accept(fd, nil, nil)
            if client < 0 {
                if errno == EINTR { continue }
                Glibc.close(fd)
                return
            }
            Thread.detachNewThread { [self] in handle(client) }
        }
    }

    private func handle(_ client: Int32) {
        defer { Glibc.close(client) }
        LoopbackSocket.setTimeout(client, seconds: 30)
        guard let request = Self.readRequest(client) else { return }
        var response: ProxiedResponse
        do {
            response = try Self.send(request, toPort: upstreamPort)
        } catch {
            response = ProxiedResponse(status: 502, headers: [], body: Array("proxy: \(error)".utf8))
        }
        let upstreamBody = response.body
        rewrite(request, &response)
        lock.lock()
        recorded.append(Exchange(request: request, response: response, upstreamBody: upstreamBody))
        lock.unlock()
        Self.write(response, to: client)
    }

    // MARK: HTTP/1.1, just enough for libcurl and Hummingbird

    /// Send one request to `127.0.0.1:port` and read the whole answer (`Connection: close`).
    static func send(_ request: ProxiedRequest, toPort port: UInt16) throws -> ProxiedResponse {
        guard let fd = LoopbackSocket.connect(port: Int(port), timeout: 30) else { throw ProxyError("connect to upstream: \(errno)") }
        defer { Glibc.close(fd) }
        let skipped: Set<String> = ["host", "connection", "keep-alive", "content-length", "transfer-encoding", "expect"]
        var head = "\(request.method) \(request.target) HTTP/1.1\r\nHost: 127.0.0.1:\(port)\r\n"
        for (name, value) in request.headers where !skipped.contains(name.lowercased()) { head += "\(name): \(value)\r\n" }
        head += "Content-Length: \(request.body.count)\r\nConnection: close\r\n\r\n"
        guard LoopbackSocket.writeAll(fd, Array(head.utf8) + request.body) else { throw ProxyError("write to upstream failed") }
        var raw = [UInt8]()
        var buffer = [UInt8](repeating: 0, count: 65536)
        while true {
            let count = read(fd, &buffer, buffer.count)
            if count < 0 && errno == EINTR { continue }
            if count <= 0 { break }
            raw += buffer[0..<count]
        }
        guard let split = headerEnd(raw) else { throw ProxyError("upstream answer has no header block") }
        let lines = String(decoding: raw[..<split], as: UTF8.self).components(separatedBy: "\r\n")
        let statusParts = lines[0].split(separator: " ")
        guard statusParts.count >= 2, let status = Int(statusParts[1]) else { throw ProxyError("bad status line \(lines[0])") }
        let headers = parseHeaders(lines.dropFirst())
        var body = Array(raw[(split + 4)...])
        if headers.contains(where: { $0.name.lowercased() == "transfer-encoding" && $0.value.lowercased().contains("chunked") }) {
            body = try dechunk(body)
        } else if let length = headers.first(where: { $0.name.lowercased() == "content-length" }).flatMap({ Int($0.value) }) {
            body = Array(body.prefix(length))
        }
        return ProxiedResponse(status: status, headers: headers, body: body)
    }

    private static func readRequest(_ fd: Int32) -> ProxiedRequest? {
        var raw = [UInt8]()
        var buffer = [UInt8](repeating: 0, count: 65536)
        var split: Int? = nil
        while split == nil {
            let count = read(fd, &buffer, buffer.count)
            if count < 0 && errno == EINTR { continue }
            if count <= 0 { return nil }
            raw += buffer[0..<count]
            split = headerEnd(raw)
        }
        let lines = String(decoding: raw[..<split!], as: UTF8.self).components(separatedBy: "\r\n")
        let parts = lines[0].split(separator: " ")
        guard parts.count == 3 else { return nil }
        let headers = parseHeaders(lines.dropFirst())
        let length = headers.first { $0.name.lowercased() == "content-length" }.flatMap { Int($0.value) } ?? 0
        if headers.contains(where: { $0.name.lowercased() == "expect" }) {
            LoopbackSocket.writeAll(fd, Array("HTTP/1.1 100 Continue\r\n\r\n".utf8))
        }
        var body = Array(raw[(split! + 4)...])
        while body.count < length {
            let count = read(fd, &buffer, min(buffer.count, length - body.count))
            if count < 0 && errno == EINTR { continue }
            if count <= 0 { return nil }
            body += buffer[0..<count]
        }
        return ProxiedRequest(method: String(parts[0]), target: String(parts[1]), headers: headers, body: body)
    }

    private static func write(_ response: ProxiedResponse, to fd: Int32) {
        let skipped: Set<String> = ["content-length", "transfer-encoding", "connection", "keep-alive"]
        var head = "HTTP/1.1 \(response.status) \(response.status < 400 ? "OK" : "Error")\r\n"
        for (name, value) in response.headers where !skipped.contains(name.lowercased()) { head += "\(name): \(value)\r\n" }
        head += "Content-Length: \(response.body.count)\r\nConnection: close\r\n\r\n"
        let body = response.cutAfter.map { Array(response.body.prefix($0)) } ?? response.body
        LoopbackSocket.writeAll(fd, Array(head.utf8) + body)
    }

    private static func headerEnd(_ raw: [UInt8]) -> Int? {
        guard raw.count >= 4 else { return nil }
        for i in 0...(raw.count - 4) where raw[i] == 13 && raw[i + 1] == 10 && raw[i + 2] == 13 && raw[i + 3] == 10 { return i }
        return nil
    }

    private static func parseHeaders(_ lines: some Sequence<String>) -> [(name: String, value: String)] {
        lines.compactMap { line in
            guard let colon = line.firstIndex(of: ":") else { return nil }
            return (name: String(line[..<colon]), value: line[line.index(after: colon)...].trimmingCharacters(in: .whitespaces))
        }
    }

    private static func dechunk(_ bytes: [UInt8]) throws -> [UInt8] {
        var out = [UInt8](), index = 0
        while index < bytes.count {
            guard let lineEnd = (index..<(bytes.count - 1)).first(where: { bytes[$0] == 13 && bytes[$0 + 1] == 10 }),
                  let size = Int(String(decoding: bytes[index..<lineEnd], as: UTF8.self).split(separator: ";")[0], radix: 16)
            else { throw ProxyError("bad chunk") }
            if size == 0 { break }
            let start = lineEnd + 2
            guard start + size <= bytes.count else { throw ProxyError("short chunk") }
            out += bytes[start..<(start + size)]
            index = start + size + 2
        }
        return out
    }
}

/// A failure of the proxy itself.
struct ProxyError: Error, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = description }
}
