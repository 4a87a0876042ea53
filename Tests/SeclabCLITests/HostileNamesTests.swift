import Foundation
import SeclabClient
import SeclabOwner
import SeclabKeys
import SeclabPrimitives
import SeclabTestSupport
import Testing

/// Names that run code when a dotenv export is sourced, or act on a
/// terminal or a CI log when listed. The CLI refuses them at write; names a hostile client
/// writes through the API anyway are refused by the dotenv exporter and escaped on display.
@Suite(.serialized)
struct HostileNamesTests {
    static let passphrase = "hostile names pass"

    /// A fresh account with vault `v`, and an in-process client of the same account: the
    /// hostile writer, which skips the CLI's name grammar (as any other client could).
    func world() throws -> (server: ServerProcess, device: Device, session: OwnerSession) {
        let server = try ServerProcess()
        let device = try Device(server: server.baseURL, passphrase: Self.passphrase)
        try device.ok(["account", "create", "--email", "names@example.com"])
        try device.ok(["vault", "create", "v"])
        let session = try OwnerAccount.login(client: APIClient(baseURL: server.baseURL), email: "names@example.com",
                                             passphrase: NormalizedPassphrase(normalizedUTF8: SecretBytes(copying: Array(Self.passphrase.utf8))),
                                             secretKey: SecretKey(text: device.secretKeyText()))
        return (server, device, session)
    }

    func hostileWrite(_ session: OwnerSession, _ name: String, _ value: String) throws {
        _ = try session.setItem(in: session.vault(named: "v"), name: ItemName(name), value: SecretBytes(copying: Array(value.utf8)))
    }

    /// Source `text` with bash as `set -a; . FILE` does; returns bash's stdout after `script`.
    func source(_ text: [UInt8], in directory: URL, then script: String) throws -> (status: Int32, stdout: String) {
        let file = directory.appendingPathComponent("exported.env")
        try Data(text).write(to: file)
        let result = try runProcess(URL(fileURLWithPath: "/bin/bash"), arguments: ["-c", "set -a; . \"$0\"; set +a; " + script, file.path],
                                    environment: ["PATH": "/usr/bin:/bin"])
        return (result.status, String(decoding: result.stdout, as: UTF8.self))
    }

    @Test("secret set and import refuse control characters, separators, bidi controls and surrounding spaces")
    func grammarAtWrite() throws {
        let (server, device, _) = try world()
        defer { withExtendedLifetime(server) {} }
        for name in ["A\u{1B}[2JB", "A\nB", "A\rB", "A\tB", "A\u{85}B", "A\u{2028}B", "A\u{202E}B", " A", "A "] {
            let refused = try device.run(["secret", "set", "v", name], stdin: Array("x".utf8))
            #expect(refused.status == 64, "'\(name.debugDescription)' was accepted")
            #expect(!refused.stderr.unicodeScalars.contains { $0 == "\u{1B}" || $0 == "\r" || $0 == "\u{202E}" })
        }
        let dotenv = device.root.appendingPathComponent("in.env")
        try Data("GOOD=1\nBAD\u{1B}]0;pwned\u{07}=2\n".utf8).write(to: dotenv)
        let imported = try device.run(["secret", "import", "v", "--dotenv", dotenv.path])
        #expect(imported.status == 64 && imported.stderr.contains("\\x1B"), "\(imported.stderr)")
        #expect(try device.ok(["secret", "list", "v"]).text.isEmpty)  // the whole file was refused
        // Printable names that are not shell names are fine to store (seclab-run takes them as --file).
        try device.ok(["secret", "set", "v", "tls.key"], stdin: Array("k".utf8))
    }

    @Test("a dotenv export never runs code when sourced, whatever the names and values")
    func dotenvExportIsSafeToSource() throws {
        let (server, device, session) = try world()
        defer { withExtendedLifetime(server) {} }
        let marker = device.root.appendingPathComponent("pwned").path
        // Values that would run code in a shell if they were not escaped.
        let values = ["SUBST": "$(touch \(marker))", "BACKTICK": "`touch \(marker)`", "QUOTE": "\"; touch \(marker); \"",
                      "MULTI": "line one\n$(touch \(marker))\nline 3 \\ end", "PARAM": "${HOME} $0 $$"]
        for (name, value) in values { try device.ok(["secret", "set", "v", name], stdin: Array(value.utf8)) }
        let exported = try device.ok(["secret", "export", "v", "--format", "dotenv"])
        let check = values.keys.sorted().map { "printf '%s<END>' \"$\($0)\"" }.joined(separator: "; ")
        let sourced = try source(exported.stdout, in: device.root, then: check)
        #expect(sourced.status == 0)
        // A shell keeps `\n` inside double quotes as two characters (line breaks stay escaped so
        // that line-based readers such as `docker --env-file` never see a value line as a name).
        let expected = values.keys.sorted().map { values[$0]!.replacingOccurrences(of: "\n", with: "\\n") + "<END>" }.joined()
        #expect(sourced.stdout == expected, "values changed through export and source")
        #expect(!FileManager.default.fileExists(atPath: marker))
        // And it reads back exactly through import (the dialect's own round trip).
        try device.ok(["vault", "create", "copy"])
        let file = device.root.appendingPathComponent("roundtrip.env")
        try Data(exported.stdout).write(to: file)
        try device.ok(["secret", "import", "copy", "--dotenv", file.path])
        for (name, value) in values { #expect(try device.ok(["secret", "get", "copy", name]).text == value) }

        // Names a hostile client wrote through the API: the export refuses, prints nothing.
        for name in ["A;touch \(marker);B", "EVIL\nNAME", "X$(touch \(marker))"] {
            try hostileWrite(session, name, "v")
            let refused = try device.run(["secret", "export", "v", "--format", "dotenv"])
            #expect(refused.status == 1 && refused.stdout.isEmpty, "\(refused.stderr)")
            #expect(refused.stderr.contains("cannot be written to a dotenv file") && !refused.stderr.contains("EVIL\nNAME"))
            #expect(try source(refused.stdout, in: device.root, then: "true").status == 0)
            let json = try device.ok(["secret", "export", "v", "--format", "json"])
            let object = try JSONSerialization.jsonObject(with: Data(json.stdout)) as? [String: String]
            #expect(object?[name] == "v")  // JSON carries any name, quoted and escaped
            try device.ok(["secret", "delete", "v", name])  // still reachable for removal
        }
        #expect(!FileManager.default.fileExists(atPath: marker))
    }

    @Test("names from a hostile writer are escaped in secret list and in messages")
    func namesAreEscapedOnDisplay() throws {
        let (server, device, session) = try world()
        defer { withExtendedLifetime(server) {} }
        let names = ["\u{1B}]0;owned\u{07}\u{1B}[2J", "OK\n::warning::fake\nseclab: error: fake", "X\u{202E}gpj.exe", "Y##[error]z", "back\\slash\tTAB"]
        for name in names { try hostileWrite(session, name, "value") }
        let listed = try device.ok(["secret", "list", "v"])
        let text = listed.text
        #expect(!text.unicodeScalars.contains { $0 == "\u{1B}" || $0 == "\u{07}" || $0 == "\u{202E}" || $0 == "\r" })
        #expect(text.split(separator: "\n").count == names.count, "a name broke a line: \(text)")
        #expect(!text.split(separator: "\n").contains { $0.hasPrefix("::") || $0.hasPrefix("seclab:") || $0.contains("##[") })
        #expect(text.contains("\\x1B]0;owned\\x07\\x1B[2J") && text.contains("OK\\x0A::warning::fake") && text.contains("X\\u{202E}gpj.exe"))
        #expect(text.contains("back\\\\slash\\x09TAB\t"))  // the tab inside a name cannot fake a column
        // A message naming it (deleting it with the CLI) escapes it too.
        let deleted = try device.ok(["secret", "delete", "v", names[1]])
        #expect(deleted.stderr.contains("OK\\x0A::warning::fake") && !deleted.stderr.contains("\n::"))
    }
}
