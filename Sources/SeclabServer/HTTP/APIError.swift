public import Hummingbird
import SeclabAPI
import SeclabStore
#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif

/// The server's one error type: it renders itself as `{"error": {"code", "message", "field"}}`
/// with its status. Anything else thrown in a handler becomes a bare 500 (no internals).
public struct APIError: HTTPResponseError, Sendable, CustomStringConvertible {
    /// The HTTP status.
    public let status: HTTPResponse.Status
    /// Stable code clients can switch on.
    public let code: String
    /// Human-readable; never echoes secrets or ciphertext.
    public let message: String
    /// For 400s: the JSON path of the offending field.
    public let field: String?
    /// Extra headers (Retry-After, WWW-Authenticate).
    public let headers: HTTPFields
    /// Why the database could not serve, for the server's log line; never sent to the client.
    let databaseFault: DatabaseFault?

    init(_ status: HTTPResponse.Status, code: String, message: String, field: String? = nil, headers: HTTPFields = [:],
         databaseFault: DatabaseFault? = nil) {
        self.status = status; self.code = code; self.message = message; self.field = field; self.headers = headers
        self.databaseFault = databaseFault
    }

    /// `code: message`.
    public var description: String { "\(code): \(message)" }

    /// Render as JSON.
    public func response(from request: Request, context: some RequestContext) throws -> Response {
        let body = ErrorResponse(error: .init(code: code, message: message, field: field))
        let encoder = JSONEncoder()
        encoder.outputFormatting = .sortedKeys
        let data = try encoder.encode(body)
        var fields = headers
        fields[.contentType] = "application/json"
        return Response(status: status, headers: fields, body: .init(byteBuffer: ByteBuffer(bytes: data)))
    }

    static func badRequest(_ error: APIValidationError) -> APIError {
        APIError(.badRequest, code: "bad_request", message: error.description, field: error.field)
    }
    static func badRequest(field: String, _ reason: String) -> APIError {
        badRequest(APIValidationError(field: field, reason: reason))
    }
    /// Denials do not reveal existence: "not there" and "not yours" are the same 404.
    static func notFound(_ what: String) -> APIError { APIError(.notFound, code: "not_found", message: "\(what) not found") }
    static func forbidden(_ why: String) -> APIError { APIError(.forbidden, code: "forbidden", message: why) }
    static func conflict(_ why: String) -> APIError { APIError(.conflict, code: "conflict", message: why) }
    static let unauthorized = APIError(.unauthorized, code: "unauthorized", message: "authentication required or failed",
                                       headers: [.wwwAuthenticate: "Bearer"])
    static let authFailed = APIError(.unauthorized, code: "auth_failed", message: "authentication failed")
    static func throttled(retryAfterSeconds: Int64) -> APIError {
        APIError(.tooManyRequests, code: "throttled", message: "too many failed attempts; retry after \(retryAfterSeconds) s",
                 headers: [.retryAfter: String(retryAfterSeconds)])
    }
    static let busy = APIError(.serviceUnavailable, code: "busy", message: "server busy; retry shortly", headers: [.retryAfter: "1"])

    /// The database cannot serve right now: 503 with Retry-After, which
    /// `seclab-run` and the CLI retry within their time budget. The client learns nothing
    /// about the cause; the server logs it.
    static func databaseUnavailable(_ fault: DatabaseFault) -> APIError {
        APIError(.serviceUnavailable, code: "unavailable", message: "service temporarily unavailable; retry after \(unavailableRetryAfterSeconds) s",
                 headers: [.retryAfter: String(unavailableRetryAfterSeconds)], databaseFault: fault)
    }
    /// Short: a restarted database is usually back within seconds, and every retry waits at
    /// most one database deadline before it hears 503 again.
    static let unavailableRetryAfterSeconds = 1

    /// Map a store error to its HTTP meaning.
    static func from(_ error: StoreError) -> APIError {
        switch error {
        case let .duplicate(what): return .conflict("\(what) already exists")
        case let .notFound(what): return .notFound(what)
        case let .conflict(why): return .conflict(why)
        case let .unavailable(fault): return .databaseUnavailable(fault)
        case .badDatabaseURL, .schemaTooNew:
            return APIError(.internalServerError, code: "internal", message: "internal error")
        }
    }
}
