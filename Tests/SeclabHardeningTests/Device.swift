import Foundation
import SeclabTestSupport
import Testing

/// One finished run of a real binary.
struct Run: Sendable {
    let status: Int32
    let stdout: [UInt8]
    let stderr: String
    var text: String { String(decoding: stdout, as: UTF8.self) }
    /// The `…: error:` lines on stderr.
    func errorLines(_ tool: String) -> [String] {
        stderr.split(separator: "\n").map(String.init).filter { $0.hasPrefix("\(tool): error:") }
    }
}

/// One person's device running the real `seclab` CLI: a profile directory, a server URL and
/// the passphrase in the environment (the documented automation path).
final class Device: @unchecked Sendable {
    let root: URL
    let configDir: URL
    let server: String
    var passphrase: String

    init(server: String, passphrase: String) throws {
        self.server = server
        self.passphrase = passphrase
        root = FileManager.default.temporaryDirectory.appendingPathComponent("seclab-hard-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: root, withIntermediateDirectories: true)
        configDir = root.appendingPathComponent("config")
    }

    deinit { try? FileManager.default.removeItem(at: root) }

    /// Run `seclab ARGS`.
    func run(_ arguments: [String], stdin: [UInt8]? = nil, extra: [String: String] = [:]) throws -> Run {
        var environment = ["SECLAB_SERVER": server, "SECLAB_CONFIG_DIR": configDir.path, "SECLAB_PASSPHRASE": passphrase,
                           "HOME": root.path, "PATH": "/usr/bin:/bin"]
        environment.merge(extra) { $1 }
        let result = try runProcess(try Binaries.url(named: "seclab"), arguments: arguments, environment: environment, stdin: stdin)
        return Run(status: result.status, stdout: result.stdout, stderr: result.stderr)
    }

    /// Run and require exit 0; returns stdout.
    @discardableResult
    func ok(_ arguments: [String], stdin: [UInt8]? = nil, extra: [String: String] = [:]) throws -> String {
        let result = try run(arguments, stdin: stdin, extra: extra)
        guard result.status == 0 else {
            throw TestSupportError("seclab \(arguments.joined(separator: " ")) failed (\(result.status)): \(result.stderr)")
        }
        return result.text
    }

    /// A second device holding a copy of this profile that talks to `server` (a proxy). The
    /// cached session is re-addressed to it, so commands reuse the session instead of logging in.
    func clone(server: String, keepPins: Bool = true) throws -> Device {
        let copy = try Device(server: server, passphrase: passphrase)
        try FileManager.default.copyItem(at: configDir, to: copy.configDir)
        if !keepPins { try? FileManager.default.removeItem(at: copy.configDir.appendingPathComponent("pins.json")) }
        let sessionURL = copy.configDir.appendingPathComponent("session.json")
        if var session = try? json(sessionURL) {
            session["server"] = server
            try JSONSerialization.data(withJSONObject: session).write(to: sessionURL)
        }
        return copy
    }

    /// Every file of the profile directory and its bytes: "nothing saved" compares two of these.
    func snapshot() -> [String: Data] {
        var out = [String: Data]()
        for name in (try? FileManager.default.contentsOfDirectory(atPath: configDir.path)) ?? [] {
            out[name] = FileManager.default.contents(atPath: configDir.appendingPathComponent(name).path)
        }
        return out
    }

    /// A JSON file of the profile directory (`profile.json`, `session.json`, `pins.json`).
    func file(_ name: String) throws -> [String: Any] { try json(configDir.appendingPathComponent(name)) }

    /// The cached session token.
    var token: String { get throws { try #require(try file("session.json")["token"] as? String) } }

    /// The cached account key set (`account_id`, `public_key`, `salt_auk`, `enc_private_key`, …).
    var keySet: [String: Any] { get throws { try #require(try file("session.json")["account"] as? [String: Any]) } }

    /// The Secret Key text from the profile.
    var secretKeyText: String { get throws { try #require(try file("profile.json")["secret_key"] as? String) } }

    private func json(_ url: URL) throws -> [String: Any] {
        try #require(try JSONSerialization.jsonObject(with: Data(contentsOf: url)) as? [String: Any])
    }
}

/// Observed outcomes, printed when `SECLAB_HARDENING_REPORT` is set (for docs/security.md).
enum Report {
    static func line(_ text: String) {
        if ProcessInfo.processInfo.environment["SECLAB_HARDENING_REPORT"] != nil { print("REPORT | \(text)") }
    }
}
