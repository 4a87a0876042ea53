#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif
public import SeclabClient
public import SeclabHTTP

/// The Codable layer over `APIClient`, for the owner side: request bodies encoded and answers
/// decoded with Foundation's JSON coders.
///
/// Why here and not in `SeclabClient`: `seclab-run` links `SeclabClient`, and any Foundation
/// there would link FoundationEssentials into it (~4 MB, and its start-up cost on every CI
/// step); the machine pull reads and writes its JSON with `PullWire` instead.
extension APIClient {
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
}
