import Foundation
import SeclabFormat
import SeclabKeys
import SeclabTestSupport
import Testing

/// A vault owner driving the real `seclab` binary: one profile directory, a passphrase in the
/// environment (the documented automation path), and a server URL that a test may point at
/// a proxy.
final class Owner: @unchecked Sendable {
    let email: String
    var passphrase: String
    var server: String
    let root: URL
    var configDir: URL

    /// `account create` on `server`.
    init(server: String, email: String = "owner-\(UUID().uuidString.prefix(8).lowercased())@example.test",
         passphrase: String = "resilience test passphrase, long enough") throws {
        self.server = server
        self.email = email
        self.passphrase = passphrase
        root = FileManager.default.temporaryDirectory.appendingPathComponent("seclab-res-owner-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: root, withIntermediateDirectories: true)
        configDir = root.appendingPathComponent("config")
        try ok(["account", "create", "--email", email])
    }

    deinit { try? FileManager.default.removeItem(at: root) }

    struct Outcome {
        let status: Int32
        let stdout: String
        let stderr: String
    }

    /// Run `seclab ARGS` as this owner.
    func run(_ arguments: [String], stdin: [UInt8]? = nil, extra: [String: String] = [:], configDir: URL? = nil,
             timeout: TimeInterval = 120) throws -> Outcome {
        var env = ["SECLAB_SERVER": server, "SECLAB_CONFIG_DIR": (configDir ?? self.configDir).path, "SECLAB_PASSPHRASE": passphrase,
                   "HOME": root.path, "PATH": "/usr/bin:/bin"]
        env.merge(extra) { $1 }
        let result = try Spawn.capture(try Binaries.url(named: "seclab").path, arguments, environment: env, stdin: stdin, timeout: timeout)
        return Outcome(status: result.status, stdout: String(decoding: result.stdout, as: UTF8.self), stderr: result.stderr)
    }

    /// Run and require exit 0.
    @discardableResult
    func ok(_ arguments: [String], stdin: [UInt8]? = nil, extra: [String: String] = [:]) throws -> String {
        let result = try run(arguments, stdin: stdin, extra: extra)
        guard result.status == 0 else {
            throw TestSupportError("seclab \(arguments.prefix(3).joined(separator: " ")) failed (\(result.status)): \(result.stderr)")
        }
        return result.stdout
    }

    /// The Secret Key text saved by `account create`.
    func secretKey() throws -> String {
        let data = try Data(contentsOf: configDir.appendingPathComponent("profile.json"))
        let object = try JSONSerialization.jsonObject(with: data) as? [String: Any]
        guard let text = object?["secret_key"] as? String else { throw TestSupportError("no secret_key in profile.json") }
        return text
    }

    /// Log in from a brand-new device directory with `passphrase`: exit status of `account login`
    /// (0 opened, 3 wrong passphrase or Secret Key) and, on success, that device's directory.
    func loginFresh(passphrase: String) throws -> (status: Int32, device: URL, stderr: String) {
        let device = root.appendingPathComponent("device-\(UUID().uuidString)")
        let result = try run(["account", "login", "--email", email, "--secret-key-stdin"],
                             stdin: Array((try secretKey() + "\n").utf8), extra: ["SECLAB_PASSPHRASE": passphrase], configDir: device)
        return (result.status, device, result.stderr)
    }

    /// `secret export VAULT --format json` from `device`: every value decrypted and verified
    /// before the first byte is printed (docs/cli.md), so exit 0 means every item opened.
    func export(_ vault: String, device: URL? = nil, passphrase: String? = nil) throws -> (status: Int32, values: [String: String], stderr: String) {
        var extra: [String: String] = [:]
        if let passphrase { extra["SECLAB_PASSPHRASE"] = passphrase }
        let result = try run(["secret", "export", vault, "--format", "json"], extra: extra, configDir: device)
        guard result.status == 0 else { return (result.status, [:], result.stderr) }
        let object = try JSONSerialization.jsonObject(with: Data(result.stdout.utf8)) as? [String: String]
        return (0, object ?? [:], result.stderr)
    }

    /// A fresh machine credential (`slmk2_…`) for `vault`.
    func mintCredential(_ vault: String, name: String = "ci-\(UUID().uuidString.prefix(6).lowercased())") throws -> String {
        let text = try ok(["machine", "create", vault, "--name", name]).trimmingCharacters(in: .whitespacesAndNewlines)
        guard text.hasPrefix("slmk2_") else { throw TestSupportError("machine create printed '\(text.prefix(8))…'") }
        return text
    }

    /// Import `values` as one dotenv file (one PUT per item: the CLI is not atomic across items).
    func importDotenv(_ vault: String, _ values: [(String, String)], timeout: TimeInterval = 300) throws -> Outcome {
        let file = root.appendingPathComponent("import-\(UUID().uuidString).env")
        let text = values.map { "\($0.0)=\"\($0.1)\"" }.joined(separator: "\n") + "\n"
        try Data(text.utf8).write(to: file)
        defer { try? FileManager.default.removeItem(at: file) }
        return try run(["secret", "import", vault, "--dotenv", file.path], timeout: timeout)
    }
}

/// One real server with a vault holding one `API_TOKEN` and a machine credential for it, made
/// through the real CLI (one per test: a static one would outlive the run).
final class TokenVault: @unchecked Sendable {
    let server: ServerProcess
    let owner: Owner
    let credential: String
    let token: String

    init(vault: String, token: String) throws {
        self.token = token
        server = try ServerProcess()
        owner = try Owner(server: server.baseURL)
        try owner.ok(["vault", "create", vault])
        try owner.ok(["secret", "set", vault, "API_TOKEN"], stdin: Array(token.utf8))
        credential = try owner.mintCredential(vault)
    }

    /// The environment seclab-run needs to pull this vault from this server.
    var environment: [String: String] {
        ["SECLAB_MACHINE_KEY": credential, "SECLAB_SERVER": server.baseURL, "PATH": "/usr/bin:/bin"]
    }
}

/// `count` distinct, recognisable values: `K0001` → `value-0001-<tag>`.
func sampleItems(_ count: Int, tag: String) -> [(String, String)] {
    (1...count).map { index in
        let number = String(index + 10_000).dropFirst()
        return ("K\(number)", "value-\(number)-\(tag)")
    }
}

/// The `Authorization: Machine <slot_id>.<auth_secret>` header of a machine credential,
/// for tests that send pulls themselves.
func machineAuthorization(_ credential: String) throws -> (name: String, value: String) {
    let parsed = try MachineCredential(text: credential)
    return ("Authorization", "Machine \(parsed.slotID.text).\(parsed.authSecret.text)")
}
