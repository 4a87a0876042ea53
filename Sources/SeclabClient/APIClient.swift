import SeclabAPI
public import SeclabFormat
public import SeclabHTTP
public import SeclabKeys

/// How a request proves who sends it.
public enum Authorization: Sendable {
    /// A human session token from SRP login (spec §9).
    case bearer(String)
    /// A machine slot: `Machine <slot_id>.<b64u auth_secret>` (spec §6.2).
    case machine(slotID: SeclabID, authSecret: MachineAuthSecret)

    package var headerValue: String {
        switch self {
        case let .bearer(token): return "Bearer \(token)"
        case let .machine(slotID, authSecret): return "Machine \(slotID.text).\(authSecret.text)"
        }
    }
}

/// The `/v1` JSON API over `HTTPClient`: sends JSON bodies, returns 2xx answers and turns API
/// errors into `ClientError.server`. The Codable layer (`send`) is the owner side's
/// (`SeclabOwner/APIClient+JSON.swift`): this module links no Foundation, so `seclab-run`
/// does not either.
public final class APIClient {
    /// The server's base URL without a trailing slash.
    public let baseURL: String
    package let http: HTTPClient

    /// Make a client for `baseURL` (checked: https, or http to loopback unless allowed).
    public init(baseURL: String, options: HTTPClientOptions = HTTPClientOptions()) throws(ClientError) {
        var base = baseURL
        while base.hasSuffix("/") { base.removeLast() }
        do {
            try ServerURL.check(base, allowInsecureHTTP: options.allowInsecureHTTP)
            http = try HTTPClient(options: options)
        } catch {
            throw .transport(error)
        }
        self.baseURL = base
    }

    /// `raw` with a body that is already JSON (the machine pull writes its own).
    package func raw(_ method: String, _ path: String, jsonBytes bytes: [UInt8]?, authorization: Authorization?,
             idempotent: Bool?) throws(ClientError) -> HTTPResponse {
        var headers: [(name: String, value: String)] = [("Accept", "application/json")]
        if let authorization { headers.append(("Authorization", authorization.headerValue)) }
        if bytes != nil { headers.append(("Content-Type", "application/json")) }
        let request = HTTPRequest(method: method, url: baseURL + path, headers: headers, body: bytes, idempotent: idempotent)
        let response: HTTPResponse
        do { response = try http.send(request) } catch { throw .transport(error) }
        guard (200..<300).contains(response.status) else {
            // Read strictly without Foundation: seclab-run links this client (docs/architecture.md).
            let decoded = ErrorResponse.read(response.body)
            throw .server(status: response.status, code: decoded?.error.code ?? "http_\(response.status)",
                          message: decoded?.error.message ?? "no error details", retryAfter: response.headers["retry-after"].flatMap { Int($0) })
        }
        return response
    }
}
