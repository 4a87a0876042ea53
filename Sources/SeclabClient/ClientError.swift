public import SeclabHTTP
public import SeclabKeys

/// Errors of the client layer: transport, the server's answer, or what the answer contained.
/// Every case reads as one line for a terminal.
public enum ClientError: Error, Sendable, CustomStringConvertible {
    /// The server could not be reached or TLS failed.
    case transport(HTTPError)
    /// The server answered with an API error.
    case server(status: Int, code: String, message: String, retryAfter: Int?)
    /// The answer did not have the documented shape: treated as hostile (fail closed).
    case unexpectedResponse(String)
    /// Something in the answer failed to decrypt or verify: tampered, swapped or truncated.
    case integrity(KeysError)

    /// A one-line message.
    public var description: String {
        switch self {
        case let .transport(error): return error.description
        case let .server(status, code, message, retryAfter):
            let wait = retryAfter.map { " (retry after \($0) s)" } ?? ""
            return "the server refused the request (\(status) \(code)): \(message)\(wait)"
        case let .unexpectedResponse(what): return "the server's response was malformed (\(what)): refusing to use it"
        case let .integrity(error): return "integrity check failed: \(error)"
        }
    }

    /// True for 401 answers and the `auth_failed` / `unauthorized` codes: the credential or
    /// session itself was refused (403/404 are reported as what they are).
    public var isAuthenticationFailure: Bool {
        if case let .server(status, code, _, _) = self {
            return status == 401 || code == "auth_failed" || code == "unauthorized"
        }
        return false
    }
}
