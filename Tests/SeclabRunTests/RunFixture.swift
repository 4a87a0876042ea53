import Foundation
import SeclabTestSupport
import Testing

/// One real server with a vault of known secrets and a machine credential, made through the
/// real `seclab` binary, shared by the seclab-run suites.
final class RunFixture: @unchecked Sendable {
    let server: ServerProcess
    let configDirectory: URL
    private(set) var credential = ""
    let passphrase = "fixture passphrase for seclab-run tests"
    static let secrets: [String: String] = [
        "DATABASE_URL": "postgres://app:Sup3rS3cret-db@db.internal:5432/app",
        "API_TOKEN": "tok_live_8c1f7a2e9b4d4f06a3e5",
        "TLS_KEY": "-----BEGIN PRIVATE KEY-----\nMIIEvQIBADANBgkqhkiG9w0BAQEFAASC\nBKcwggSjAgEAAoIBAQC7uniqueline\n-----END PRIVATE KEY-----\n",
        "SHORT": "yes",
    ]

    static let shared: Result<RunFixture, any Error> = Result { try RunFixture() }

    static func get() throws -> RunFixture { try shared.get() }

    /// A fresh server and owner (the shared one is `shared`; watch tests that stop or change the server make their own).
    init() throws {
        server = try ServerProcess()
        // A static fixture is never deinitialized: stop its server when the test process exits.
        server.cleanUpAtExit()
        configDirectory = server.directory.appendingPathComponent("config")
        try FileManager.default.createDirectory(at: configDirectory, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o700])
        try seclabChecked(["account", "create", "--email", "run-tests@example.test"])
        try seclabChecked(["vault", "create", "ci"])
        for (name, value) in Self.secrets {
            try seclabChecked(["secret", "set", "ci", name], stdin: Array(value.utf8))
        }
        credential = try mintCredential(vault: "ci", label: "run-tests")
    }

    /// Run the real `seclab` CLI as the fixture's owner.
    @discardableResult
    func seclab(_ arguments: [String], stdin: [UInt8]? = nil) throws -> (status: Int32, stdout: [UInt8], stderr: String) {
        try runProcess(try Binaries.url(named: "seclab"), arguments: arguments, environment: [
            "SECLAB_SERVER": server.baseURL, "SECLAB_CONFIG_DIR": configDirectory.path, "SECLAB_PASSPHRASE": passphrase,
            "HOME": server.directory.path, "PATH": "/usr/bin:/bin",
        ], stdin: stdin)
    }

    @discardableResult
    func seclabChecked(_ arguments: [String], stdin: [UInt8]? = nil) throws -> String {
        let result = try seclab(arguments, stdin: stdin)
        guard result.status == 0 else {
            throw TestSupportError("seclab \(arguments.joined(separator: " ")) failed (\(result.status)): \(result.stderr)")
        }
        return String(decoding: result.stdout, as: UTF8.self)
    }

    /// A fresh machine credential for `vault`.
    func mintCredential(vault: String, label: String) throws -> String {
        let text = try seclabChecked(["machine", "create", vault, "--name", label]).trimmingCharacters(in: .whitespacesAndNewlines)
        guard text.hasPrefix("slmk2_") else { throw TestSupportError("machine create printed '\(text.prefix(10))…'") }
        return text
    }

    /// Run the real `seclab-run` with the credential and server in its environment.
    func run(_ arguments: [String], credential: String? = nil, environment extra: [String: String] = [:],
             stdin: [UInt8]? = nil, timeout: TimeInterval = 60) throws -> (status: Int32, stdout: String, stderr: String) {
        var environment = ["SECLAB_SERVER": server.baseURL, "SECLAB_MACHINE_KEY": credential ?? self.credential,
                           "PATH": "/usr/local/bin:/usr/bin:/bin", "HOME": server.directory.path]
        environment.merge(extra) { $1 }
        let result = try runProcess(try Binaries.url(named: "seclab-run"), arguments: arguments, environment: environment,
                                    stdin: stdin, timeout: timeout)
        return (result.status, String(decoding: result.stdout, as: UTF8.self), result.stderr)
    }
}
