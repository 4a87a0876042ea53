import Foundation
import SeclabTestSupport
import Testing

/// `seclab --cacert FILE` / `SECLAB_CA_FILE` against a real seclab-server serving TLS with a
/// certificate from a private CA made here with the openssl CLI (docs/install.md's deployment
/// with a private CA).
@Suite(.serialized, .enabled(if: FileManager.default.isExecutableFile(atPath: "/usr/bin/openssl")))
struct PrivateCATests {
    /// A CA, and a server certificate for 127.0.0.1 signed by it; returns (ca, cert, key, otherCA).
    static func makeCertificates(in directory: URL) throws -> (ca: String, cert: String, key: String, otherCA: String) {
        func path(_ name: String) -> String { directory.appendingPathComponent(name).path }
        func openssl(_ arguments: [String]) throws {
            let result = try runProcess(URL(fileURLWithPath: "/usr/bin/openssl"), arguments: arguments, environment: ["PATH": "/usr/bin:/bin"])
            guard result.status == 0 else { throw TestSupportError("openssl \(arguments.first ?? "") failed: \(result.stderr)") }
        }
        let ec = ["-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes"]
        for ca in ["ca", "other-ca"] {
            try openssl(["req", "-x509"] + ec + ["-keyout", path("\(ca).key"), "-out", path("\(ca).pem"), "-days", "2", "-subj", "/CN=seclab test \(ca)"])
        }
        try openssl(["req"] + ec + ["-keyout", path("server.key"), "-out", path("server.csr"), "-subj", "/CN=127.0.0.1"])
        try "subjectAltName=IP:127.0.0.1\nbasicConstraints=CA:FALSE\nextendedKeyUsage=serverAuth\n"
            .write(toFile: path("server.ext"), atomically: true, encoding: .utf8)
        try openssl(["x509", "-req", "-in", path("server.csr"), "-CA", path("ca.pem"), "-CAkey", path("ca.key"), "-CAcreateserial",
                     "-out", path("server.pem"), "-days", "2", "-extfile", path("server.ext")])
        return (path("ca.pem"), path("server.pem"), path("server.key"), path("other-ca.pem"))
    }

    @Test("--cacert and SECLAB_CA_FILE trust a private CA; without it, or with another CA, TLS fails with a hint; an unreadable file is a usage error")
    func privateCA() throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("seclab-ca-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        let files = try Self.makeCertificates(in: directory)
        let server = try ServerProcess(extraArguments: ["--tls-cert", files.cert, "--tls-key", files.key])
        #expect(server.baseURL.hasPrefix("https://127.0.0.1:"))
        let owner = try Device(server: server.baseURL, passphrase: "private ca passphrase")
        let create = ["account", "create", "--email", "ca@example.com"]

        // The system store does not know the CA: refused, with the way out named.
        let untrusted = try owner.run(create)
        #expect(untrusted.status == 5, "\(untrusted.stderr)")
        #expect(untrusted.stderr.contains("seclab: error:") && untrusted.stderr.contains("--cacert"), "\(untrusted.stderr)")
        #expect(!FileManager.default.fileExists(atPath: owner.configDir.appendingPathComponent("profile.json").path))
        // Another CA's file replaces the system store but does not vouch for this server.
        let wrongCA = try owner.run(create + ["--cacert", files.otherCA])
        #expect(wrongCA.status == 5, "\(wrongCA.stderr)")
        let missing = try owner.run(create + ["--cacert", directory.appendingPathComponent("nope.pem").path])
        #expect(missing.status == 64 && missing.stderr.contains("cannot read the CA file"), "\(missing.stderr)")

        try owner.ok(create + ["--cacert", files.ca])
        let viaEnvironment = ["SECLAB_CA_FILE": files.ca]
        try owner.ok(["vault", "create", "prod"], extra: viaEnvironment)
        try owner.ok(["secret", "set", "prod", "API_TOKEN"], stdin: Array("over-private-tls".utf8), extra: viaEnvironment)
        #expect(try owner.ok(["secret", "get", "prod", "API_TOKEN", "--cacert", files.ca]).text.hasPrefix("over-private-tls"))
        // The profile's server is https: without the CA file a later command fails the same way.
        #expect(try owner.run(["vault", "list"]).status == 5)
    }
}
