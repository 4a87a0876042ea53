import Foundation
import SeclabTestSupport
import Testing

/// `--fallback` with two credentials, end to end (spec §11 A2): one file, one record per
/// credential, written once; each credential falls back to its own record, under the same
/// rules as one; any credential the file may not stand in for stops the run.
@Suite(.serialized) struct MultiCredentialFallbackTests {
    static let secretsA = ["ALPHA_ONLY": "alpha-value-0123456789"]
    static let secretsB = ["BRAVO_ONLY": "bravo-value-9876543210", "BRAVO_SECOND": "bravo-second-value-42"]

    /// Run seclab-run with HOME and TMPDIR empty directories of its own, and check they stay empty.
    func run(_ vaults: TwoVaults, _ arguments: [String], keys: [String: String]? = nil, scratch: URL) throws -> (status: Int32, stdout: String, stderr: String) {
        let home = scratch.appendingPathComponent("home-\(UUID().uuidString)"), tmp = scratch.appendingPathComponent("tmp-\(UUID().uuidString)")
        for url in [home, tmp] { try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true) }
        let result = try vaults.fixture.run(["--timeout", "3"] + TwoVaults.both + arguments,
                                            environment: (keys ?? vaults.keys).merging(["HOME": home.path, "TMPDIR": tmp.path]) { $1 })
        #expect(try FileManager.default.contentsOfDirectory(atPath: home.path).isEmpty)
        #expect(try FileManager.default.contentsOfDirectory(atPath: tmp.path).isEmpty)
        return result
    }

    @Test func twoCredentialsFallBackEachToItsOwnRecord() throws {
        let vaults = try TwoVaults(a: Self.secretsA, b: Self.secretsB)
        let scratch = vaults.fixture.server.directory.appendingPathComponent("fallback-two")
        let files = scratch.appendingPathComponent("files")
        try FileManager.default.createDirectory(at: files, withIntermediateDirectories: true)
        let path = files.appendingPathComponent("two.slfb").path
        let marker = scratch.appendingPathComponent("ran").path
        let command = ["--", "/bin/sh", "-c", "printf '%s|%s|%s' \"$ALPHA_ONLY\" \"$BRAVO_ONLY\" \"$BRAVO_SECOND\"; touch \(marker)"]
        let expected = "alpha-value-0123456789|bravo-value-9876543210|bravo-second-value-42"
        func ranNothing() -> Bool {
            defer { try? FileManager.default.removeItem(atPath: marker) }
            return !FileManager.default.fileExists(atPath: marker)
        }

        // Server up: both pulls merged, one file with two records (A's, then B's), 0600, nothing in the clear.
        let live = try run(vaults, ["--fallback", path] + command, scratch: scratch)
        #expect(live.status == 0 && live.stdout == expected, "\(live.stderr)")
        #expect(!live.stderr.contains("warning"), "\(live.stderr)")
        #expect(!ranNothing())
        let sealed = try Array(Data(contentsOf: URL(fileURLWithPath: path)))
        let records = try #require(TwoVaults.records(sealed), "the file's framing: magic, then records")
        #expect(records.count == 2 && records[0].slot != records[1].slot)
        #expect(try FileManager.default.attributesOfItem(atPath: path)[.posixPermissions] as? Int == 0o600)
        for (name, value) in Self.secretsA.merging(Self.secretsB, uniquingKeysWith: { $1 }) {
            #expect(Data(sealed).range(of: Data(value.utf8)) == nil && Data(sealed).range(of: Data(name.utf8)) == nil, "\(name)")
        }
        #expect(try FileManager.default.contentsOfDirectory(atPath: files.path) == ["two.slfb"])

        // The second record with one flipped byte inside its seal (prepared now, used offline).
        var flipped = sealed
        flipped[records[1].sealedAt + records[1].length / 2] ^= 1
        let flippedPath = files.appendingPathComponent("flipped.slfb").path
        try Data(flipped).write(to: URL(fileURLWithPath: flippedPath))

        // A revoked credential with the server up: 123, nothing runs, never the file; its record
        // goes and the other credential's stays. B2 is a second credential for B's vault.
        let revokedPath = files.appendingPathComponent("revoked.slfb").path
        var keys = vaults.keys
        keys["KEY_B"] = try vaults.fixture.mintCredential(vault: vaults.b, label: "key-b-revoked")
        let beforeRevoke = try run(vaults, ["--fallback", revokedPath] + command, keys: keys, scratch: scratch)
        #expect(beforeRevoke.status == 0 && beforeRevoke.stdout == expected, "\(beforeRevoke.stderr)")
        #expect(!ranNothing())
        let twoRecords = try #require(TwoVaults.records(atPath: revokedPath))
        #expect(twoRecords.count == 2)
        try vaults.fixture.seclabChecked(["machine", "revoke", vaults.b, "key-b-revoked"])
        let revoked = try run(vaults, ["--fallback", revokedPath] + command, keys: keys, scratch: scratch)
        #expect(revoked.status == 123 && revoked.stderr.contains("--credential-env KEY_B: the server refused"), "\(revoked.stderr)")
        #expect(!revoked.stderr.contains("running from the fallback file"), "\(revoked.stderr)")
        #expect(revoked.stdout.isEmpty && ranNothing())
        let oneRecord = try #require(TwoVaults.records(atPath: revokedPath))
        #expect(oneRecord.count == 1 && oneRecord.first?.slot == twoRecords[0].slot)

        vaults.fixture.server.stop()

        // Server down: each credential from its own record, one warning each naming it and the age.
        let offline = try run(vaults, ["--fallback", path] + command, scratch: scratch)
        #expect(offline.status == 0 && offline.stdout == expected, "\(offline.stderr)")
        #expect(!ranNothing())
        let warnings = offline.stderr.split(separator: "\n").filter { $0.contains("running from the fallback file") }
        #expect(warnings.count == 2, "\(offline.stderr)")
        for (key, line) in zip(["KEY_A", "KEY_B"], warnings) {
            #expect(line.hasPrefix("seclab-run: warning: --credential-env \(key): ") && line.contains("pulled ") && line.hasSuffix(" ago"), "\(line)")
        }
        // The records read from the file are kept as they were.
        #expect(try Array(Data(contentsOf: URL(fileURLWithPath: path))) == sealed)
        // Under --watch too: COMMAND starts from both records, and each failed poll names its credential.
        let watching = try BackgroundRun(vaults.fixture, ["--timeout", "3"] + TwoVaults.both + ["--watch", "--watch-interval", "2", "--fallback", path],
                                         script: "echo \"start $$ $ALPHA_ONLY $BRAVO_SECOND\" >> \"$LOG\"; trap 'exit 0' TERM; while :; do sleep 0.2; done",
                                         environment: vaults.keys)
        #expect(watching.wait(upTo: 60) { watching.lines.count == 1 }, "\(watching.stderr)")
        #expect(watching.lines.first?.hasSuffix(" alpha-value-0123456789 bravo-second-value-42") == true, "\(watching.lines)")
        let polled = { (key: String) in watching.stderr.contains("seclab-run: warning: watch: --credential-env \(key): ") }
        #expect(watching.wait(upTo: 60) { polled("KEY_A") && polled("KEY_B") }, "\(watching.stderr)")
        #expect(watching.lines.count == 1 && watching.process.isRunning)
        #expect(watching.stop() == 0)
        #expect(watching.homeAndTmpEmpty)
        #expect(try Array(Data(contentsOf: URL(fileURLWithPath: path))) == sealed)
        // --only selects across both records.
        let only = try run(vaults, ["--fallback", path, "--only", "BRAVO_SECOND,ALPHA_ONLY", "--", "/bin/sh", "-c",
                                    "printf '%s|%s|%s' \"$ALPHA_ONLY\" \"${BRAVO_ONLY-unset}\" \"$BRAVO_SECOND\""], scratch: scratch)
        #expect(only.status == 0 && only.stdout == "alpha-value-0123456789|unset|bravo-second-value-42", "\(only.stderr)")

        // One record with a flipped byte: 122 naming that credential, nothing runs, no warning for the other.
        let modified = try run(vaults, ["--fallback", flippedPath] + command, scratch: scratch)
        #expect(modified.status == 122 && modified.stderr.contains("--credential-env KEY_B: fallback file"), "\(modified.stderr)")
        #expect(!modified.stderr.contains("running from the fallback file"), "\(modified.stderr)")
        #expect(modified.stdout.isEmpty && ranNothing())

        // The file missing B's record (its credential was revoked): 122 for B, nothing runs.
        let missing = try run(vaults, ["--fallback", revokedPath] + command, keys: keys, scratch: scratch)
        #expect(missing.status == 122 && missing.stderr.contains("--credential-env KEY_B"), "\(missing.stderr)")
        #expect(ranNothing())

        // Too old: the unreachable code, nothing runs.
        Thread.sleep(forTimeInterval: 2.5)
        let old = try run(vaults, ["--fallback", path, "--fallback-max-age", "2"] + command, scratch: scratch)
        #expect(old.status == 124 && old.stderr.contains("--credential-env KEY_A: ") && old.stderr.contains("older than --fallback-max-age"),
                "\(old.stderr)")
        #expect(ranNothing())
        #expect(try FileManager.default.contentsOfDirectory(atPath: files.path).sorted() == ["flipped.slfb", "revoked.slfb", "two.slfb"])
    }
}
