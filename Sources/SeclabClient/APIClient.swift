#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif
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

/// The `/v1` JSON API over `HTTPClient`: encodes requests, decodes responses strictly, and
/// turns API errors into `ClientError.server`.
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

    private struct APIErrorBody: Decodable {
        struct Inner: Decodable {
            let code: String
            let message: String
        }
        let error: Inner
    }

    /// An empty JSON body type, for requests without a body.
    public struct Empty: Codable, Sendable {
        /// Make one.
        public init() {}
    }

    /// Send a request and decode the JSON answer as `Response`.
    public func send<Response: Decodable>(_ method: String, _ path: String, body: (some Encodable)? = nil as Empty?,
                                          authorization: Authorization? = nil, idempotent: Bool? = nil,
                                          as: Response.Type = Response.self) throws(ClientError) -> Response {
        let response = try raw(method, path, body: body, authorization: authorization, idempotent: idempotent)
        do {
            return try JSONDecoder().decode(Response.self, from: Data(response.body))
        } catch {
            throw .unexpectedResponse("\(method) \(path): body is not the documented \(Response.self)")
        }
    }

    /// Send a request whose answer carries no body the caller needs.
    public func sendExpectingNoContent(_ method: String, _ path: String, body: (some Encodable)? = nil as Empty?,
                                       authorization: Authorization? = nil, idempotent: Bool? = nil) throws(ClientError) {
        _ = try raw(method, path, body: body, authorization: authorization, idempotent: idempotent)
    }

    /// Send and return the raw 2xx response; non-2xx answers become `ClientError.server`.
    public func raw(_ method: String, _ path: String, body: (some Encodable)?, authorization: Authorization?,
                    idempotent: Bool?) throws(ClientError) -> HTTPResponse {
        var bytes: [UInt8]? = nil
        if let body {
            do { bytes = Array(try JSONEncoder().encode(body)) } catch {
                throw .unexpectedResponse("could not encode the request body")
            }
        }
        return try raw(method, path, jsonBytes: bytes, authorization: authorization, idempotent: idempotent)
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
            let decoded = try? JSONDecoder().decode(APIErrorBody.self, from: Data(response.body))
            throw .server(status: response.status, code: decoded?.error.code ?? "http_\(response.status)",
                          message: decoded?.error.message ?? "no error details", retryAfter: response.headers["retry-after"].flatMap { Int($0) })
        }
        return response
    }
}
