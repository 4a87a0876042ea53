import Foundation
#if canImport(FoundationNetworking)
import FoundationNetworking
#endif

/// One HTTP exchange's result.
struct HTTPResult: Sendable {
    let status: Int
    let body: Data
    let headers: [String: String]

    func json<T: Decodable>(_ type: T.Type) throws -> T {
        do { return try JSONDecoder().decode(T.self, from: body) } catch {
            throw TestFailure("cannot decode \(T.self) from HTTP \(status): \(String(decoding: body, as: UTF8.self).prefix(300))")
        }
    }

    var text: String { String(decoding: body, as: UTF8.self) }

    /// The `error.field` of an error body.
    var errorField: String? {
        (try? JSONSerialization.jsonObject(with: body) as? [String: Any]).flatMap { ($0["error"] as? [String: Any])?["field"] as? String }
    }
    var errorCode: String? {
        (try? JSONSerialization.jsonObject(with: body) as? [String: Any]).flatMap { ($0["error"] as? [String: Any])?["code"] as? String }
    }
}

/// A tiny JSON client over URLSession (tests only).
struct HTTPClient: Sendable {
    let baseURL: String
    var bearer: String?

    static let session: URLSession = {
        let configuration = URLSessionConfiguration.ephemeral
        configuration.timeoutIntervalForRequest = 60
        return URLSession(configuration: configuration)
    }()

    func send(_ method: String, _ path: String, body: Data? = nil, authorization: String? = nil) async throws -> HTTPResult {
        var request = URLRequest(url: URL(string: baseURL + path)!)
        request.httpMethod = method
        if let body {
            request.httpBody = body
            request.setValue("application/json", forHTTPHeaderField: "Content-Type")
        }
        if let authorization { request.setValue(authorization, forHTTPHeaderField: "Authorization") }
        else if let bearer { request.setValue("Bearer \(bearer)", forHTTPHeaderField: "Authorization") }
        let (data, response) = try await Self.session.data(for: request)
        let http = response as! HTTPURLResponse
        var headers: [String: String] = [:]
        for (key, value) in http.allHeaderFields { headers[String(describing: key).lowercased()] = String(describing: value) }
        return HTTPResult(status: http.statusCode, body: data, headers: headers)
    }

    func send(_ method: String, _ path: String, json: some Encodable, authorization: String? = nil) async throws -> HTTPResult {
        try await send(method, path, body: try JSONEncoder().encode(json), authorization: authorization)
    }

    func get(_ path: String) async throws -> HTTPResult { try await send("GET", path) }
}
