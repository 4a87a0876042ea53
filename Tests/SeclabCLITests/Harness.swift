import Foundation
import SeclabClient
import SeclabOwner
import SeclabKeys
import SeclabPrimitives
import SeclabTestSupport
import Testing

/// One device's view of `seclab`: a profile directory, a server URL and a passphrase in the
/// environment (the documented automation path), driving the real binary.
final class Device {
    let server: String
    /// A temporary directory for this device's files, removed with the device.
    let root: URL
    /// The profile directory (made by `seclab` itself, inside `root`).
    let configDir: URL
    var passphrase: String

    init(server: String, passphrase: String) throws {
        self.server = server
        self.passphrase = passphrase
        root = FileManager.default.temporaryDirectory.appendingPathComponent("seclab-cli-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: root, withIntermediateDirectories: true)
        configDir = root.appendingPathComponent("config")
    }

    deinit { try? FileManager.default.removeItem(at: root) }

    var environment: [String: String] {
        ["SECLAB_SERVER": server, "SECLAB_CONFIG_DIR": configDir.path, "SECLAB_PASSPHRASE": passphrase,
         "HOME": configDir.path, "PATH": "/usr/bin:/bin"]
    }

    /// Run `seclab ARGS` with optional stdin and extra environment.
    func run(_ arguments: [String], stdin: [UInt8]? = nil, extra: [String: String] = [:]) throws -> Run {
        var env = environment
        env.merge(extra) { $1 }
        let result = try runProcess(try Binaries.url(named: "seclab"), arguments: arguments, environment: env, stdin: stdin)
        return Run(arguments: arguments, status: result.status, stdout: result.stdout, stderr: result.stderr)
    }

    /// Run and require exit 0.
    @discardableResult
    func ok(_ arguments: [String], stdin: [UInt8]? = nil, extra: [String: String] = [:],
            sourceLocation: SourceLocation = #_sourceLocation) throws -> Run {
        let result = try run(arguments, stdin: stdin, extra: extra)
        #expect(result.status == 0, "seclab \(arguments.joined(separator: " ")) failed: \(result.stderr)", sourceLocation: sourceLocation)
        return result
    }

    /// The Secret Key text from the profile written by `account create`.
    /// A session of this device's account in the test process, logged in with its own two
    /// secrets: for what the CLI would never send (a hostile writer, a kept vault key).
    func session(email: String) throws -> OwnerSession {
        try OwnerAccount.login(client: APIClient(baseURL: server), email: email,
                               passphrase: NormalizedPassphrase(normalizedUTF8: SecretBytes(copying: Array(passphrase.utf8))),
                               secretKey: SecretKey(text: secretKeyText()))
    }

    func secretKeyText() throws -> String {
        let data = try Data(contentsOf: configDir.appendingPathComponent("profile.json"))
        let object = try JSONSerialization.jsonObject(with: data) as? [String: Any]
        return try #require(object?["secret_key"] as? String)
    }
}

/// One finished `seclab` run.
struct Run {
    let arguments: [String]
    let status: Int32
    let stdout: [UInt8]
    let stderr: String
    var text: String { String(decoding: stdout, as: UTF8.self) }
}

/// Tamper with the SQLite file through Python's sqlite3 (the test image has no sqlite3 CLI).
func python(_ script: String, _ arguments: [String]) throws -> (status: Int32, stdout: String, stderr: String) {
    let result = try runProcess(URL(fileURLWithPath: "/usr/bin/python3"), arguments: ["-c", script] + arguments,
                                environment: ["PATH": "/usr/bin:/bin"], stdin: nil, timeout: 60)
    return (result.status, String(decoding: result.stdout, as: UTF8.self), result.stderr)
}

/// Flip one character inside the ciphertext of every live item's enc_value (structure kept,
/// so only the AEAD tag can notice).
let tamperScript = """
import sqlite3, sys
db = sqlite3.connect(sys.argv[1], timeout=30)
rows = db.execute("select vault_id, key_ref, enc_value from items where deleted = 0").fetchall()
for v, k, e in rows:
    i = len(e) - 6
    e2 = e[:i] + ("B" if e[i] != "B" else "C") + e[i+1:]
    db.execute("update items set enc_value = ? where vault_id = ? and key_ref = ?", (e2, v, k))
db.commit()
print(len(rows))
"""

/// Every item's `key_ref|enc_name|enc_value`, to compare ciphertexts before and after.
let dumpItemsScript = """
import sqlite3, sys
db = sqlite3.connect(sys.argv[1], timeout=30)
for row in db.execute("select key_ref, enc_name, enc_value from items order by key_ref"):
    print("|".join(row))
"""

extension [UInt8] {
    /// True if `needle`'s bytes occur anywhere in self.
    func containsBytes(_ needle: String) -> Bool {
        let n = Array(needle.utf8)
        guard !n.isEmpty, n.count <= count else { return false }
        var i = 0
        while i + n.count <= count {
            if self[i] == n[0], Array(self[i..<(i + n.count)]) == n { return true }
            i += 1
        }
        return false
    }
}
