import Hummingbird
import NIOCore
import SeclabAPI
#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif

/// Strict JSON in, JSON out. Bodies are read up to a limit (413 beyond it), decoded (400
/// naming the field on any mismatch) and validated before a handler sees them.
enum JSONBody {
    static func decode<T: ValidatedRequest>(_ type: T.Type, from request: Request, limit: Int) async throws -> T {
        try decode(type, from: try await collect(request, limit: limit))
    }

    /// The whole body, up to `limit` bytes (413 beyond it).
    static func collect(_ request: Request, limit: Int) async throws -> ByteBuffer {
        do {
            return try await request.body.collect(upTo: limit)
        } catch is NIOTooManyBytesError {
            throw APIError(.contentTooLarge, code: "too_large", message: "request body exceeds \(limit) bytes")
        }
    }

    /// Decode and validate a body already read.
    static func decode<T: ValidatedRequest>(_ type: T.Type, from buffer: ByteBuffer) throws -> T {
        let value: T
        do {
            value = try JSONDecoder().decode(T.self, from: Data(buffer.readableBytesView))
        } catch let error as DecodingError {
            throw APIError.badRequest(describe(error))
        } catch {
            throw APIError.badRequest(field: "body", "not valid JSON")
        }
        do { try value.validate() } catch { throw APIError.badRequest(error) }
        return value
    }

    /// Map a decoding error to the field it concerns, without echoing any value.
    static func describe(_ error: DecodingError) -> APIValidationError {
        func path(_ keys: [any CodingKey]) -> String {
            var out = ""
            for key in keys {
                if let index = key.intValue { out += "[\(index)]" } else { out += out.isEmpty ? key.stringValue : ".\(key.stringValue)" }
            }
            return out.isEmpty ? "body" : out
        }
        switch error {
        case let .keyNotFound(key, context):
            return APIValidationError(field: path(context.codingPath + [key]), reason: "required field is missing")
        case let .typeMismatch(type, context):
            return APIValidationError(field: path(context.codingPath), reason: "wrong type, expected \(jsonName(type))")
        case let .valueNotFound(type, context):
            return APIValidationError(field: path(context.codingPath), reason: "must not be null, expected \(jsonName(type))")
        case let .dataCorrupted(context):
            return APIValidationError(field: path(context.codingPath), reason: context.codingPath.isEmpty ? "not valid JSON" : "malformed value")
        @unknown default:
            return APIValidationError(field: "body", reason: "cannot be decoded")
        }
    }

    static func jsonName(_ type: Any.Type) -> String {
        switch type {
        case is String.Type: return "a string"
        case is Bool.Type: return "a boolean"
        case is Int.Type, is Int64.Type: return "an integer"
        default:
            let name = String(describing: type)
            if name.hasPrefix("Array") { return "an array" }
            if name.hasPrefix("Dictionary") { return "an object" }
            return "an object"
        }
    }

    /// A JSON response.
    static func response(_ value: some Encodable, status: HTTPResponse.Status = .ok) throws -> Response {
        // Sorted keys: identical answers are identical bytes (a 404 for "not yours" and one
        // for "not there" must not differ even in key order).
        let encoder = JSONEncoder()
        encoder.outputFormatting = .sortedKeys
        let data = try encoder.encode(value)
        return Response(status: status, headers: [.contentType: "application/json"], body: .init(byteBuffer: ByteBuffer(bytes: data)))
    }
}
