import Foundation
import SeclabTestSupport
#if canImport(Glibc)
import Glibc
#endif

/// A tiny HTTP/1.1 relay on loopback between a client and a real server, for fault tests.
///
/// For each request the test's `policy` decides: forward it (optionally running a hook right
/// after the request reached the server and before its answer is read: that is where a test
/// `kill -9`s the server mid-request), answer it itself (503 or 429 with `Retry-After`), or
/// drop the connection. Every request is recorded with its answer's status.
///
/// Deliberately simple: one thread per connection, one upstream connection per forwarded
/// request (`Connection: close`), `Content-Length` bodies only (what our clients send).
final class FaultProxy: @unchecked Sendable {
    enum Action {
        /// Relay to the server; `afterSend` runs once the whole request was written to it.
        case forward(afterSend: (@Sendable () -> Void)? = nil)
        /// Answer without asking the server.
        case respond(status: Int, headers: [(String, String)], body: String)
        /// Close the client's connection without an answer.
        case drop
    }

    struct Exchange: Sendable {
        let method: String
        let path: String
        let received: Date
        var forwarded: Date?
        var answered: Date?
        /// The status the client got; nil when the connection ended without an answer.
        var status: Int?
    }

    let upstreamPort: Int
    private(set) var port = 0
    private let listener: Int32
    private let lock = NSLock()
    private var policy: @Sendable (_ method: String, _ path: String, _ index: Int) -> Action
    private var log: [Exchange] = []

    init(upstreamPort: Int, listenPort: Int = 0,
         policy: @escaping @Sendable (String, String, Int) -> Action = { _, _, _ in .forward() }) throws {
        self.upstreamPort = upstreamPort
        self.policy = policy
        guard let (fd, port) = LoopbackSocket.listen(port: listenPort, reuseAddress: true) else { throw POSIXError(.EADDRINUSE) }
        listener = fd
        self.port = port
        let socketFD = listener
        Thread.detachNewThread { [self] in
            while true {
                let client = accept(socketFD, nil, nil)
                if client < 0 {
                    if errno == EINTR { continue }
                    return  // closed by deinit / stop()
                }
                Thread.detachNewThread { self.serve(client) }
            }
        }
    }

    var baseURL: String { "http://127.0.0.1:\(port)" }

    /// Replace the policy (e.g. start failing after the setup went through).
    func setPolicy(_ policy: @escaping @Sendable (String, String, Int) -> Action) { locked { self.policy = policy } }

    /// Everything seen so far.
    var exchanges: [Exchange] { locked { log } }

    func stop() {
        shutdown(listener, Int32(SHUT_RDWR))
        close(listener)
    }

    deinit { stop() }

    // MARK: one client connection

    private func serve(_ client: Int32) {
        defer { close(client) }
        var pending = [UInt8]()
        while let request = Self.readRequest(client, &pending) {
            let head = request.head, body = request.body
            let requestLine = String(decoding: head.prefix { $0 != UInt8(ascii: "\r") }, as: UTF8.self).split(separator: " ")
            let method = requestLine.first.map(String.init) ?? "?"
            let path = requestLine.count > 1 ? String(requestLine[1]) : "?"
            let (index, action) = locked { () -> (Int, Action) in
                log.append(Exchange(method: method, path: path, received: Date()))
                return (log.count - 1, policy(method, path, log.count - 1))
            }
            switch action {
            case .drop:
                return
            case let .respond(status, headers, text):
                var response = "HTTP/1.1 \(status) Fault\r\nContent-Type: application/json\r\nContent-Length: \(text.utf8.count)\r\n"
                for (name, value) in headers { response += "\(name): \(value)\r\n" }
                guard LoopbackSocket.writeAll(client, Array((response + "\r\n" + text).utf8)) else { return }
                record(index) { $0.answered = Date(); $0.status = status }
            case let .forward(afterSend):
                guard let answer = forward(head: head, body: body, afterSend: afterSend, index: index), !answer.isEmpty else { return }
                let status = Int(String(decoding: answer.dropFirst(9).prefix(3), as: UTF8.self))
                record(index) { $0.answered = Date(); $0.status = status }
                // One request per upstream connection: tell the client this one ends here too.
                _ = LoopbackSocket.writeAll(client, Self.closing(answer))
                return
            }
        }
    }

    private func record(_ index: Int, _ change: (inout Exchange) -> Void) { locked { change(&log[index]) } }

    private func locked<R>(_ body: () -> R) -> R {
        lock.lock()
        defer { lock.unlock() }
        return body()
    }

    /// Relay one request on a new upstream connection and read its answer to EOF.
    private func forward(head: [UInt8], body: [UInt8], afterSend: (@Sendable () -> Void)?, index: Int) -> [UInt8]? {
        guard let upstream = LoopbackSocket.connect(port: upstreamPort, timeout: 60) else { return nil }
        defer { close(upstream) }
        // Force one request per upstream connection, so the answer ends at EOF.
        let lines = String(decoding: head, as: UTF8.self).components(separatedBy: "\r\n")
            .filter { !$0.isEmpty && !$0.lowercased().hasPrefix("connection:") }
        let rewritten = Array((lines.joined(separator: "\r\n") + "\r\nConnection: close\r\n\r\n").utf8)
        guard LoopbackSocket.writeAll(upstream, rewritten + body) else { return nil }
        record(index) { $0.forwarded = Date() }
        afterSend?()
        var answer = [UInt8]()
        var buffer = [UInt8](repeating: 0, count: 65536)
        while true {
            let count = read(upstream, &buffer, buffer.count)
            if count > 0 { answer += buffer[0..<count]; continue }
            if count < 0 && errno == EINTR { continue }
            break
        }
        // A truncated answer (server killed mid-write) is not passed on as if whole.
        return Self.isComplete(answer) ? answer : nil
    }

    /// `answer` with its `Connection` header replaced by `Connection: close`.
    static func closing(_ answer: [UInt8]) -> [UInt8] {
        guard let end = headEnd(answer) else { return answer }
        let lines = String(decoding: answer[..<end], as: UTF8.self).components(separatedBy: "\r\n")
            .filter { !$0.lowercased().hasPrefix("connection:") }
        return Array((lines.joined(separator: "\r\n") + "\r\nConnection: close\r\n\r\n").utf8) + answer[(end + 4)...]
    }

    /// True when `answer` holds a whole head and, with `Content-Length`, the whole body.
    static func isComplete(_ answer: [UInt8]) -> Bool {
        guard let end = headEnd(answer) else { return false }
        let head = String(decoding: answer[..<end], as: UTF8.self).lowercased()
        guard let line = head.components(separatedBy: "\r\n").first(where: { $0.hasPrefix("content-length:") }),
              let length = Int(line.dropFirst("content-length:".count).trimmingCharacters(in: .whitespaces)) else { return true }
        return answer.count - (end + 4) >= length
    }

    static func headEnd(_ bytes: [UInt8]) -> Int? {
        guard bytes.count >= 4 else { return nil }
        for index in 0...(bytes.count - 4) where bytes[index] == 13 && bytes[index + 1] == 10 && bytes[index + 2] == 13 && bytes[index + 3] == 10 {
            return index
        }
        return nil
    }

    /// Read one request (head without the blank line, and its `Content-Length` body).
    static func readRequest(_ fd: Int32, _ pending: inout [UInt8]) -> (head: [UInt8], body: [UInt8])? {
        var buffer = [UInt8](repeating: 0, count: 65536)
        func fill() -> Bool {
            while true {
                let count = read(fd, &buffer, buffer.count)
                if count > 0 { pending += buffer[0..<count]; return true }
                if count < 0 && errno == EINTR { continue }
                return false
            }
        }
        while headEnd(pending) == nil { guard fill() else { return nil } }
        let end = headEnd(pending)!
        let head = Array(pending[..<end])
        pending.removeFirst(end + 4)
        let text = String(decoding: head, as: UTF8.self).lowercased()
        var length = 0
        if let line = text.components(separatedBy: "\r\n").first(where: { $0.hasPrefix("content-length:") }) {
            length = Int(line.dropFirst("content-length:".count).trimmingCharacters(in: .whitespaces)) ?? 0
        }
        while pending.count < length { guard fill() else { return nil } }
        let body = Array(pending.prefix(length))
        pending.removeFirst(length)
        return (head, body + [])
    }
}
