import Foundation
import SeclabTestSupport
import Testing

/// Transport rules and the command line.
@Suite("Startup")
struct StartupTests {
    @Test func plainHTTPOffLoopbackIsRefused() async throws {
        let server = try ServerProcess(engine: .sqlite, extraArguments: ["--listen", "0.0.0.0:0"])
        server.process.waitUntilExit()
        #expect(server.process.terminationStatus != 0)
        #expect(server.log().contains("refusing plain HTTP"))
    }

    @Test func tlsCertWithoutKeyIsRefused() async throws {
        let server = try ServerProcess(engine: .sqlite, extraArguments: ["--tls-cert", "/nonexistent.pem"])
        server.process.waitUntilExit()
        #expect(server.process.terminationStatus != 0)
        #expect(server.log().contains("--tls-cert and --tls-key go together"))
    }

    @Test func badDatabaseURLIsRefused() async throws {
        let server = try ServerProcess(engine: .sqlite, databaseURL: "mysql://nope")
        server.process.waitUntilExit()
        #expect(server.process.terminationStatus != 0)
        #expect(server.log().contains("sqlite:PATH or postgres://"))
    }

    /// Native TLS with a throwaway self-signed certificate (openssl CLI); checked with curl -k.
    @Test(.enabled(if: FileManager.default.isExecutableFile(atPath: "/usr/bin/openssl") && FileManager.default.isExecutableFile(atPath: "/usr/bin/curl")))
    func servesTLSWhenGivenACertificate() async throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("seclab-tls-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        let cert = directory.appendingPathComponent("cert.pem").path, key = directory.appendingPathComponent("key.pem").path
        try run("/usr/bin/openssl", ["req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes",
                                     "-keyout", key, "-out", cert, "-days", "1", "-subj", "/CN=localhost"])
        let server = try ServerProcess(engine: .sqlite, extraArguments: ["--listen", "127.0.0.1:0", "--tls-cert", cert, "--tls-key", key])
        let deadline = Date().addingTimeInterval(60)
        var port: Substring = ""
        while Date() < deadline, port.isEmpty {
            if let range = server.log().range(of: "url=https://127.0.0.1:") { port = server.log()[range.upperBound...].prefix { $0.isNumber } }
            try await Task.sleep(for: .milliseconds(50))
        }
        #expect(!port.isEmpty)
        let output = try run("/usr/bin/curl", ["-sk", "https://127.0.0.1:\(port)/healthz"])
        #expect(output == "ok\n")
        #expect(await server.stop() == 0)
    }

    @discardableResult
    func run(_ tool: String, _ arguments: [String]) throws -> String {
        String(decoding: try captureStdout(tool, arguments, what: tool), as: UTF8.self)
    }
}
