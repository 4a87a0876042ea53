/// An HTTP request: method, absolute URL, headers and an optional body.
public struct HTTPRequest: Sendable {
    /// `GET`, `POST`, `PUT`, `DELETE`.
    public var method: String
    /// The absolute URL.
    public var url: String
    /// Header fields, in order.
    public var headers: [(name: String, value: String)]
    /// The body bytes, if any.
    public var body: [UInt8]?
    /// Whether the request may be repeated after a failure where it may already have reached
    /// the server (reads and overwrites: yes; creates: no). Connection refusals are always
    /// retried, since nothing was sent.
    public var idempotent: Bool

    /// Make a request.
    public init(method: String, url: String, headers: [(name: String, value: String)] = [], body: [UInt8]? = nil, idempotent: Bool? = nil) {
        self.method = method
        self.url = url
        self.headers = headers
        self.body = body
        self.idempotent = idempotent ?? (method == "GET" || method == "PUT" || method == "DELETE")
    }
}

/// An HTTP response.
public struct HTTPResponse: Sendable {
    /// The status code.
    public let status: Int
    /// Header fields with lower-cased names (the last value wins).
    public let headers: [String: String]
    /// The body bytes.
    public let body: [UInt8]

    /// Make a response.
    public init(status: Int, headers: [String: String], body: [UInt8]) {
        self.status = status
        self.headers = headers
        self.body = body
    }
}

/// Timeouts, retries and trust settings of a client.
public struct HTTPClientOptions: Sendable {
    /// Seconds to establish one connection.
    public var connectTimeout: Double = 5
    /// Seconds for the whole operation, retries included.
    public var totalTimeout: Double = 30
    /// A PEM file of CA certificates to trust instead of the system store.
    public var caFile: String?
    /// Allow `http://` to hosts other than loopback.
    public var allowInsecureHTTP = false
    /// Attempts at most (the first included); `Int.max` retries until `totalTimeout`.
    public var maxAttempts = 4
    /// First backoff in seconds; doubled each retry up to `maxBackoff`, with full jitter.
    public var initialBackoff = 0.2
    /// The longest backoff between two attempts, in seconds.
    public var maxBackoff = 2.0
    /// The largest response body accepted.
    public var maxResponseBytes = 512 << 20
    /// Sent as `User-Agent`.
    public var userAgent = "seclab/0.1"

    /// Defaults: 5 s connect, 30 s total, 4 attempts, system CAs, https or loopback http only.
    public init() {}
}

/// URL checks done before any connection.
public enum ServerURL {
    /// Whether `host` is a loopback address (127.0.0.0/8, ::1, localhost).
    public static func isLoopback(host: String) -> Bool {
        let h = host.lowercased()
        if h == "localhost" || h == "::1" || h == "[::1]" { return true }
        let parts = h.split(separator: ".")
        return parts.count == 4 && parts[0] == "127" && parts.allSatisfy { UInt8($0) != nil }
    }

    /// Split `scheme://host[:port]/…` into scheme and host (IPv6 in brackets kept bare).
    public static func schemeAndHost(_ url: String) -> (scheme: String, host: String)? {
        let chars = Array(url)
        guard let colon = (0..<max(chars.count - 2, 0)).first(where: { chars[$0] == ":" && chars[$0 + 1] == "/" && chars[$0 + 2] == "/" }) else {
            return nil
        }
        let scheme = String(chars[..<colon]).lowercased()
        var rest = Substring(String(chars[(colon + 3)...]))
        if let slash = rest.firstIndex(where: { $0 == "/" || $0 == "?" || $0 == "#" }) { rest = rest[..<slash] }
        if let at = rest.lastIndex(of: "@") { rest = rest[rest.index(after: at)...] }
        let host: Substring
        if rest.hasPrefix("[") {
            guard let close = rest.firstIndex(of: "]") else { return nil }
            host = rest[rest.index(after: rest.startIndex)..<close]
        } else {
            host = rest.split(separator: ":", maxSplits: 1, omittingEmptySubsequences: false).first ?? ""
        }
        guard !host.isEmpty else { return nil }
        return (scheme, String(host))
    }

    /// Refuse unsupported schemes, and plain http to a non-loopback host unless allowed.
    public static func check(_ url: String, allowInsecureHTTP: Bool) throws(HTTPError) {
        guard let (scheme, host) = schemeAndHost(url) else { throw .invalidURL(url) }
        switch scheme {
        case "https": return
        case "http":
            // Why: bearer tokens and machine auth secrets must not cross a network in clear.
            if !isLoopback(host: host) && !allowInsecureHTTP { throw .insecureURL(url) }
        default:
            throw .invalidURL(url)
        }
    }
}
