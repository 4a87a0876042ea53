import Foundation
import SeclabClient
import SeclabMachine
import SeclabOwner
import SeclabKeys
import SeclabPrimitives
import SeclabTestSupport
import Testing

/// The real `seclab` binary against the real `seclab-server` on a fresh SQLite file.
@Suite(.serialized)
struct OwnerFlowTests {
    @Test("account, vault, secrets, machine credential, revoke; nothing readable on the server")
    func fullFlow() throws {
        let server = try ServerProcess()
        let passphrase = "correct horse \(UUID().uuidString.prefix(8)) battery"
        let device = try Device(server: server.baseURL, passphrase: passphrase)
        let kit = device.root.appendingPathComponent("kit.txt").path

        let created = try device.ok(["account", "create", "--email", "owner@example.com", "--emergency-kit", kit])
        let secretKey = try device.secretKeyText()
        #expect(created.text.contains(secretKey))
        #expect(created.stderr.contains("nobody can recover it"))
        let kitText = try String(contentsOfFile: kit, encoding: .utf8)
        #expect(kitText.contains(secretKey) && kitText.contains(server.baseURL) && kitText.contains("owner@example.com"))
        #expect(!kitText.contains(passphrase))
        #expect(try mode(kit) == 0o600)
        #expect(try mode(device.configDir.path) == 0o700)
        #expect(try mode(device.configDir.appendingPathComponent("profile.json").path) == 0o600)

        let vaultName = "prod-\(UUID().uuidString.prefix(6))"
        try device.ok(["vault", "create", vaultName])
        #expect(try mode(device.configDir.appendingPathComponent("session.json").path) == 0o600)
        #expect(try device.ok(["vault", "list"]).text.contains(vaultName))

        let multiLine = "-----BEGIN KEY-----\nline two \(UUID().uuidString)\n\tend\n"
        let plain = "plain-\(UUID().uuidString)"
        try device.ok(["secret", "set", vaultName, "MULTI_LINE"], stdin: Array(multiLine.utf8))
        try device.ok(["secret", "set", vaultName, "EMPTY"], stdin: [])
        try device.ok(["secret", "set", vaultName, "API_TOKEN"], stdin: Array(plain.utf8))
        #expect(try device.ok(["secret", "get", vaultName, "MULTI_LINE"]).stdout == Array(multiLine.utf8))
        #expect(try device.ok(["secret", "get", vaultName, "EMPTY"]).stdout == [])
        #expect(try device.ok(["secret", "get", vaultName, "API_TOKEN"]).stdout == Array(plain.utf8))

        let list = try device.ok(["secret", "list", vaultName])
        #expect(list.text.contains("MULTI_LINE") && list.text.contains("EMPTY") && list.text.contains("API_TOKEN"))
        #expect(!list.text.contains(plain) && !list.text.contains("BEGIN KEY"))

        // dotenv round trip: quotes, export prefix, multi-line values.
        let dotenv = device.root.appendingPathComponent("import.env").path
        try Data("""
            # comment
            export QUOTED="a \\"b\\" c"
            SINGLE='lit $x \\n'
            MULTI="first
            second"
            BARE = value # trailing comment

            """.utf8).write(to: URL(fileURLWithPath: dotenv))
        try device.ok(["secret", "import", vaultName, "--dotenv", dotenv])
        #expect(try device.ok(["secret", "get", vaultName, "QUOTED"]).text == "a \"b\" c")
        #expect(try device.ok(["secret", "get", vaultName, "SINGLE"]).text == "lit $x \\n")
        #expect(try device.ok(["secret", "get", vaultName, "MULTI"]).text == "first\nsecond")
        #expect(try device.ok(["secret", "get", vaultName, "BARE"]).text == "value")
        let exported = try device.ok(["secret", "export", vaultName, "--format", "json"])
        let json = try JSONSerialization.jsonObject(with: Data(exported.stdout)) as? [String: String]
        #expect(json?["MULTI_LINE"] == multiLine && json?["EMPTY"] == "" && json?["QUOTED"] == "a \"b\" c")

        try device.ok(["secret", "delete", vaultName, "BARE"])
        #expect(try device.run(["secret", "get", vaultName, "BARE"]).status == 4)

        // Machine credential: only the credential on stdout, and it opens the vault.
        let machine = try device.ok(["machine", "create", vaultName, "--name", "ci-prod"])
        let credentialText = machine.text.trimmingCharacters(in: .newlines)
        #expect(machine.text == credentialText + "\n")
        let credential = try MachineCredential(text: credentialText)
        let client = try APIClient(baseURL: server.baseURL)
        let pulled = try MachinePull.pull(credential, client: client)
        #expect(pulled.items.contains { $0.name.string == "API_TOKEN" && $0.value.unprotectedArray() == Array(plain.utf8) })
        #expect(try device.ok(["machine", "list", vaultName]).text.contains("ci-prod"))

        // Rekey keeps the machine credential working.
        try device.ok(["vault", "rekey", vaultName])
        #expect(try MachinePull.pull(credential, client: client).items.count == pulled.items.count)
        #expect(try device.ok(["secret", "get", vaultName, "API_TOKEN"]).stdout == Array(plain.utf8))

        try device.ok(["secret", "set", vaultName, "AFTER_REKEY"], stdin: Array("after".utf8))
        try device.ok(["machine", "revoke", vaultName, "ci-prod"])
        #expect(throws: ClientError.self) { try MachinePull.pull(credential, client: client) }

        let audit = try device.ok(["audit", vaultName, "--json"])
        #expect(audit.text.contains("machine.revoke") && audit.text.contains("AFTER_REKEY"), "\(audit.text)")

        // Filters, pages with a printed cursor, and --all.
        func rows(_ run: Run) throws -> [[String: Any]] { (try JSONSerialization.jsonObject(with: Data(run.stdout)) as? [[String: Any]]) ?? [] }
        let puts = try rows(try device.ok(["audit", vaultName, "--json", "--action", "item.put", "--since", "1h"]))
        #expect(!puts.isEmpty && puts.allSatisfy { $0["action"] as? String == "item.put" })
        #expect(try rows(try device.ok(["audit", vaultName, "--json", "--since", "2999-01-01T00:00:00Z"])).isEmpty)
        let everything = try rows(try device.ok(["audit", vaultName, "--json", "--all"]))
        let first = try device.ok(["audit", vaultName, "--json", "--limit", "2"])
        let cursor = try #require(first.stderr.range(of: "--cursor ").map { first.stderr[$0.upperBound...].prefix { !$0.isWhitespace } })
        let second = try rows(try device.ok(["audit", vaultName, "--json", "--limit", "2", "--cursor", String(cursor)]))
        let firstRows = try rows(first)
        #expect(firstRows.count == 2 && second.count == 2 && everything.count > 4)
        #expect((firstRows + second).map { $0["time"] as? String } == everything.prefix(4).map { $0["time"] as? String })
        #expect(try device.run(["audit", "--cursor", String(cursor)]).status != 0, "--cursor without a vault is refused")

        try device.ok(["vault", "create", "scratch"])
        try device.ok(["vault", "delete", "scratch"])
        #expect(!(try device.ok(["vault", "list"]).text.contains("scratch")))

        try device.ok(["account", "logout"])
        #expect(!FileManager.default.fileExists(atPath: device.configDir.appendingPathComponent("session.json").path))

        // Nothing the server keeps may contain a value, a name, the passphrase or the Secret Key.
        let persisted = server.persistedBytes()
        let secretKeyCompact = secretKey.replacingOccurrences(of: "-", with: "")
        for marker in [plain, "line two", "MULTI_LINE", "API_TOKEN", "QUOTED", "AFTER_REKEY", vaultName, passphrase, secretKey,
                       String(secretKeyCompact.dropFirst(3)), "ci-prod", credentialText] {
            #expect(!persisted.containsBytes(marker), "the server persisted '\(marker)'")
        }
        let profileBytes = Array(try Data(contentsOf: device.configDir.appendingPathComponent("profile.json")))
        #expect(!profileBytes.containsBytes(passphrase))
    }

    private func mode(_ path: String) throws -> Int {
        let attributes = try FileManager.default.attributesOfItem(atPath: path)
        return (attributes[.posixPermissions] as? Int ?? 0) & 0o777
    }
}
