import Foundation
import SeclabAPI
import SeclabPrimitives
import SeclabSRP
import SeclabTestSupport
import Testing
#if canImport(FoundationNetworking)
import FoundationNetworking
#endif

/// Shared by the abuse attack tests: a real server started with flags and
/// environment, raw requests with extra headers, the server's peak memory and row counts.
enum Abuse {
    /// A server whose aggregated audit is written every second (tests read it soon after).
    static func server(_ engine: Engine, arguments: [String] = [], environment: [String: String] = [:]) async throws -> ServerProcess {
        var env = ["SECLAB_AUDIT_WINDOW_SECONDS": "1"]
        env.merge(environment) { $1 }
        let server = try ServerProcess(engine: engine, extraArguments: arguments, environment: env)
        try await server.waitUntilListening()
        return server
    }

    /// Run `body` on a fresh server; stop it afterwards (graceful shutdown must exit 0).
    static func withServer(_ engine: Engine, arguments: [String] = [], environment: [String: String] = [:],
                           _ body: (ServerProcess, HTTPClient) async throws -> Void) async throws {
        let server = try await server(engine, arguments: arguments, environment: environment)
        do { try await body(server, HTTPClient(baseURL: server.baseURL)) } catch {
            await server.stop()
            throw error
        }
        #expect(await server.stop() == 0, "graceful shutdown must exit 0\n\(server.log().suffix(1500))")
    }

    /// One request with any headers (e.g. `X-Forwarded-For`); transport errors are status 0.
    static func send(_ base: String, _ method: String, _ path: String, body: Data? = nil, headers: [String: String] = [:]) async -> HTTPResult {
        var request = URLRequest(url: URL(string: base + path)!)
        request.httpMethod = method
        request.httpBody = body
        if body != nil { request.setValue("application/json", forHTTPHeaderField: "Content-Type") }
        for (name, value) in headers { request.setValue(value, forHTTPHeaderField: name) }
        guard let (data, response) = try? await HTTPClient.session.data(for: request), let http = response as? HTTPURLResponse else {
            return HTTPResult(status: 0, body: Data(), headers: [:])
        }
        var fields: [String: String] = [:]
        for (key, value) in http.allHeaderFields { fields[String(describing: key).lowercased()] = String(describing: value) }
        return HTTPResult(status: http.statusCode, body: data, headers: fields)
    }

    static func json(_ value: some Encodable) -> Data { try! JSONEncoder().encode(value) }

    /// A valid SRP public value (A = 2) for starts that will never finish correctly.
    static let clientPublic = Base64URL.encode([UInt8](repeating: 0, count: 511) + [2])

    /// One wrong-passphrase login of `email` (start, then a random proof); the last status.
    static func wrongLogin(_ base: String, email: String, headers: [String: String] = [:]) async -> HTTPResult {
        let start = await send(base, "POST", "/v1/auth/srp/start", body: json(SRPStartRequest(email: email, clientPublic: clientPublic)), headers: headers)
        guard start.status == 200, let challenge = try? start.json(SRPStartResponse.self) else { return start }
        return await send(base, "POST", "/v1/auth/srp/finish",
                          body: json(SRPFinishRequest(loginID: challenge.loginID, clientProof: Fake.b64u(32))), headers: headers)
    }

    /// The right login of `account` with extra headers; the finish result.
    static func login(_ base: String, _ account: TestAccount, headers: [String: String] = [:]) async throws -> HTTPResult {
        let client = SRPClient()
        let start = await send(base, "POST", "/v1/auth/srp/start",
                               body: json(SRPStartRequest(email: account.email, clientPublic: Base64URL.encode(client.publicValue))), headers: headers)
        guard start.status == 200 else { return start }
        let challenge = try start.json(SRPStartResponse.self)
        let proof = try client.respond(identity: uuidBytes(challenge.accountID), salt: try Base64URL.decode(challenge.saltSRP),
                                       x: account.x, serverPublicValue: try Base64URL.decode(challenge.serverPublic))
        return await send(base, "POST", "/v1/auth/srp/finish",
                          body: json(SRPFinishRequest(loginID: challenge.loginID, clientProof: Base64URL.encode(proof.clientProof))), headers: headers)
    }

    /// Peak and current resident memory of the server (KiB), from /proc/PID/status.
    static func memory(_ server: ServerProcess) -> (peakKiB: Int, currentKiB: Int) {
        let text = (try? String(contentsOfFile: "/proc/\(server.process.processIdentifier)/status", encoding: .utf8)) ?? ""
        func field(_ name: String) -> Int {
            guard let line = text.split(separator: "\n").first(where: { $0.hasPrefix(name + ":") }) else { return 0 }
            return Int(line.split(separator: " ").dropFirst().first { Int($0) != nil } ?? "0") ?? 0
        }
        return (field("VmHWM"), field("VmRSS"))
    }

    /// The first value of one SQL query against the server's database (sqlite3 or psql).
    static func query(_ server: ServerProcess, _ sql: String) throws -> String {
        let arguments: [String]
        switch server.engine {
        case .sqlite: arguments = ["sqlite3", "-batch", String(server.databaseURL.dropFirst("sqlite:".count)), sql]
        case .postgres: arguments = ["psql", "-qAt", server.databaseURL.replacingOccurrences(of: "?sslmode=disable", with: ""), "-c", sql]
        }
        let data = try captureStdout("/usr/bin/env", arguments, what: "query \(sql)")
        return String(decoding: data, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
    }

    static func count(_ server: ServerProcess, _ sql: String) throws -> Int {
        let text = try query(server, sql)
        guard let value = Int(text.isEmpty ? "0" : text) else { throw TestFailure("not a number from \(sql): \(text)") }
        return value
    }

    /// The value of the metric series `series` (e.g. `seclab_throttled_total{kind="srp"}`), 0 when absent.
    static func metric(_ base: String, _ series: String) async -> Double {
        let text = await send(base, "GET", "/metrics").text
        for line in text.split(separator: "\n") where line.hasPrefix(series + " ") {
            return Double(line.dropFirst(series.count + 1)) ?? 0
        }
        return 0
    }

    static func tally(_ results: [HTTPResult]) -> [Int: Int] {
        var out: [Int: Int] = [:]
        for result in results { out[result.status, default: 0] += 1 }
        return out
    }
}
