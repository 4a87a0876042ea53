/// Errors of the HTTP transport. Each message names the server and says what to try next.
public enum HTTPError: Error, Equatable, Sendable, CustomStringConvertible {
    /// The URL could not be used (bad syntax, unsupported scheme).
    case invalidURL(String)
    /// Plain `http://` to a host that is not loopback, without the explicit opt-in.
    case insecureURL(String)
    /// The server could not be reached (or kept failing) within the time budget.
    case unreachable(url: String, reason: String)
    /// TLS failed: certificate, CA file or handshake.
    case tls(url: String, reason: String)
    /// The response was larger than this client accepts.
    case responseTooLarge(limit: Int)

    /// A one-line message.
    public var description: String {
        switch self {
        case let .invalidURL(url):
            return "invalid server URL '\(url)': use https://HOST[:PORT]"
        case let .insecureURL(url):
            return "refusing plain http to a non-loopback host (\(url)): use https, or pass --allow-insecure-http if you really mean it"
        case let .unreachable(url, reason):
            return "cannot reach the server at \(url): \(reason)"
        case let .tls(url, reason):
            return "TLS with \(url) failed: \(reason) (set SECLAB_CA_FILE / --cacert for a private CA)"
        case let .responseTooLarge(limit):
            return "the server's response exceeded \(limit) bytes: refused"
        }
    }
}
