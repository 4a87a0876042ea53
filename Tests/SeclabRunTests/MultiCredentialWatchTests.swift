import Foundation
import SeclabTestSupport
import Testing

/// Two vaults on one fresh server (made with the real `seclab`), a credential for each in
/// KEY_A and KEY_B: what `--watch` and `--fallback` with several credentials run against.
final class TwoVaults: @unchecked Sendable {
    let fixture: RunFixture
    let a: String
    let b: String
    /// The credentials, by the variable `--credential-env` names.
    var keys: [String: String]
    /// Both credentials, in this order (A, then B: B is the later one for `--override`).
    static let both = ["--credential-env", "KEY_A", "--credential-env", "KEY_B"]

    init(a secretsA: [String: String], b secretsB: [String: String]) throws {
        fixture = try RunFixture()
        let suffix = UUID().uuidString.prefix(8).lowercased()
        a = "alpha-\(suffix)"
        b = "bravo-\(suffix)"
        for (vault, secrets) in [(a, secretsA), (b, secretsB)] {
            try fixture.seclabChecked(["vault", "create", vault])
            for (name, value) in secrets { try fixture.seclabChecked(["secret", "set", vault, name], stdin: Array(value.utf8)) }
        }
        keys = ["KEY_A": try fixture.mintCredential(vault: a, label: "key-a"),
                "KEY_B": try fixture.mintCredential(vault: b, label: "key-b")]
    }

    func set(_ vault: String, _ name: String, _ value: String) throws {
        try fixture.seclabChecked(["secret", "set", vault, name], stdin: Array(value.utf8))
    }

    /// The fallback file's records by its framing (`"slfb1\n" ‖ (slot_id(16) ‖ u32be(len) ‖ sealed)*`):
    /// each record's slot id and where its sealed bytes start; nil when the framing is off.
    static func records(_ bytes: [UInt8]) -> [(slot: [UInt8], sealedAt: Int, length: Int)]? {
        let magic = Array("slfb1\n".utf8)
        guard bytes.starts(with: magic) else { return nil }
        var at = magic.count
        var out = [(slot: [UInt8], sealedAt: Int, length: Int)]()
        while at < bytes.count {
            guard at + 20 <= bytes.count else { return nil }
            let length = bytes[(at + 16)..<(at + 20)].reduce(0) { $0 << 8 | Int($1) }
            // nonce(24) ‖ ciphertext ‖ tag(16), at least.
            guard length >= 40, at + 20 + length <= bytes.count else { return nil }
            out.append((Array(bytes[at..<(at + 16)]), at + 20, length))
            at += 20 + length
        }
        return out
    }

    static func records(atPath path: String) -> [(slot: [UInt8], sealedAt: Int, length: Int)]? {
        guard let data = FileManager.default.contents(atPath: path) else { return nil }
        return records(Array(data))
    }
}

/// `--watch` and `--fallback` with two credentials, end to end: the real server binary, the
/// real `seclab` changing or revoking, the real `seclab-run` supervising a shell that logs
/// what it was started with. Each test has its own server; waits are generous and poll for
/// their condition (the machine is loaded), no test races a short window.
@Suite(.serialized) struct MultiCredentialWatchTests {
    static let interval = 2.0

    /// A COMMAND that logs "start PID $ALPHA_ONLY $BRAVO_ONLY $DB_URL KEY_A KEY_B" (the last two
    /// say whether the credential variables reached it) and runs until SIGTERM.
    static let script = "echo \"start $$ ${ALPHA_ONLY-none} ${BRAVO_ONLY-none} ${DB_URL-none} ${KEY_A-unset} ${KEY_B-unset}\" >> \"$LOG\"; trap 'exit 0' TERM; while :; do sleep 0.2; done"

    /// The values part of a log line (without "start PID").
    static func values(_ line: String?) -> String {
        guard let line else { return "" }
        return line.split(separator: " ").dropFirst(2).joined(separator: " ")
    }

    static func pid(_ line: String) -> Substring { line.split(separator: " ")[1] }

    @Test func aChangeInTheSecondVaultRestartsOnceAndKeepsTheFirstVault() throws {
        let vaults = try TwoVaults(a: ["ALPHA_ONLY": "alpha-1"], b: ["BRAVO_ONLY": "bravo-1"])
        let run = try BackgroundRun(vaults.fixture, TwoVaults.both + ["--watch", "--watch-interval", "2"], script: Self.script,
                                    environment: vaults.keys)
        #expect(run.wait(upTo: 60) { run.lines.count == 1 }, "\(run.stderr)")
        #expect(Self.values(run.lines.first) == "alpha-1 bravo-1 none unset unset", "\(run.lines)")
        // Unchanged polls of both vaults restart nothing.
        Thread.sleep(forTimeInterval: 3 * Self.interval)
        #expect(run.lines.count == 1, "\(run.lines)")

        try vaults.set(vaults.b, "BRAVO_ONLY", "bravo-2")
        #expect(run.wait(upTo: 60) { run.lines.count >= 2 }, "\(run.stderr)")
        // Exactly one restart: more intervals pass without another start.
        Thread.sleep(forTimeInterval: 3 * Self.interval)
        let lines = run.lines
        #expect(lines.count == 2, "\(lines)")
        #expect(Self.values(lines.last) == "alpha-1 bravo-2 none unset unset", "\(lines)")
        if lines.count == 2 { #expect(Self.pid(lines[0]) != Self.pid(lines[1])) }
        #expect(run.stderr.contains("seclab-run: watch: the vault of --credential-env KEY_B changed; starting COMMAND again"), "\(run.stderr)")

        // Both vaults' polls failing: one line per credential per poll, COMMAND undisturbed.
        vaults.fixture.server.stop()
        let named = { (key: String) in
            run.stderr.split(separator: "\n").contains { $0.contains("warning: watch: --credential-env \(key): ") && $0.contains("keeps running") }
        }
        #expect(run.wait(upTo: 60) { named("KEY_A") && named("KEY_B") }, "\(run.stderr)")
        #expect(run.process.isRunning)
        #expect(run.lines.count == 2)
        #expect(run.stop() == 0)
        #expect(run.homeAndTmpEmpty)
    }

    @Test func changesInBothVaultsWithinOneIntervalCauseOneRestart() throws {
        let vaults = try TwoVaults(a: ["ALPHA_ONLY": "alpha-1"], b: ["BRAVO_ONLY": "bravo-1"])
        // A long interval: both changes land between two polls.
        let run = try BackgroundRun(vaults.fixture, TwoVaults.both + ["--watch", "--watch-interval", "20"], script: Self.script,
                                    environment: vaults.keys)
        #expect(run.wait(upTo: 60) { run.lines.count == 1 }, "\(run.stderr)")
        let started = Date()
        try vaults.set(vaults.a, "ALPHA_ONLY", "alpha-2")
        try vaults.set(vaults.b, "BRAVO_ONLY", "bravo-2")
        let bothWithin = Date().timeIntervalSince(started) < 17  // the first poll is at 18 s or later
        #expect(run.wait(upTo: 120) { Self.values(run.lines.last) == "alpha-2 bravo-2 none unset unset" }, "\(run.lines) \(run.stderr)")
        Thread.sleep(forTimeInterval: 3)
        if bothWithin {
            #expect(run.lines.count == 2, "\(run.lines)")
            #expect(run.stderr.contains("the vaults of --credential-env KEY_A, --credential-env KEY_B changed"), "\(run.stderr)")
        }
        #expect(run.stop() == 0)
    }

    @Test func withOverrideTheLaterCredentialWinsAfterAChange() throws {
        let vaults = try TwoVaults(a: ["ALPHA_ONLY": "alpha-1", "DB_URL": "db-from-a"], b: ["BRAVO_ONLY": "bravo-1"])
        let run = try BackgroundRun(vaults.fixture, TwoVaults.both + ["--override", "--watch", "--watch-interval", "2"], script: Self.script,
                                    environment: vaults.keys)
        #expect(run.wait(upTo: 60) { run.lines.count == 1 }, "\(run.stderr)")
        #expect(Self.values(run.lines.first) == "alpha-1 bravo-1 db-from-a unset unset")
        // B (later on the command line) now holds DB_URL too: it wins.
        try vaults.set(vaults.b, "DB_URL", "db-from-b")
        #expect(run.wait(upTo: 60) { run.lines.count >= 2 }, "\(run.stderr)")
        #expect(Self.values(run.lines.last) == "alpha-1 bravo-1 db-from-b unset unset", "\(run.lines)")
        // A's DB_URL changes: A's vault changed, so COMMAND restarts, and B still wins.
        try vaults.set(vaults.a, "DB_URL", "db-from-a-2")
        #expect(run.wait(upTo: 60) { run.lines.count >= 3 }, "\(run.stderr)")
        Thread.sleep(forTimeInterval: 2 * Self.interval)
        #expect(run.lines.count == 3, "\(run.lines)")
        #expect(Self.values(run.lines.last) == "alpha-1 bravo-1 db-from-b unset unset", "\(run.lines)")
        #expect(!run.stderr.contains("in two vaults"), "\(run.stderr)")
        #expect(run.stop() == 0)
        #expect(run.homeAndTmpEmpty)
    }

    @Test func aCollisionWithoutOverrideKeepsCommandRunningAndWarns() throws {
        let vaults = try TwoVaults(a: ["ALPHA_ONLY": "alpha-1", "DB_URL": "db-from-a"], b: ["BRAVO_ONLY": "bravo-1"])
        let run = try BackgroundRun(vaults.fixture, TwoVaults.both + ["--watch", "--watch-interval", "2"], script: Self.script,
                                    environment: vaults.keys)
        #expect(run.wait(upTo: 60) { run.lines.count == 1 }, "\(run.stderr)")
        try vaults.set(vaults.b, "DB_URL", "db-from-b")
        try vaults.set(vaults.b, "BRAVO_ONLY", "bravo-2")
        let warning = "cannot be delivered (secret 'DB_URL' is in two vaults: --credential-env KEY_A and --credential-env KEY_B)"
        #expect(run.wait(upTo: 60) { run.stderr.contains(warning) }, "\(run.stderr)")
        Thread.sleep(forTimeInterval: 2 * Self.interval)
        #expect(run.process.isRunning)
        #expect(run.lines.count == 1, "\(run.lines)")
        #expect(Self.values(run.lines.first) == "alpha-1 bravo-1 db-from-a unset unset")
        // One line per poll, each a watch warning saying COMMAND keeps its values; never "nothing was run".
        let lines = run.stderr.split(separator: "\n").filter { $0.contains("DB_URL") }
        #expect(!lines.isEmpty && lines.allSatisfy { $0.hasPrefix("seclab-run: warning: watch: the changed vault (--credential-env KEY_B)") && $0.hasSuffix("COMMAND keeps running with its current values") }, "\(run.stderr)")
        #expect(!run.stderr.contains("nothing was run"), "\(run.stderr)")

        // The collision goes: the waiting change (BRAVO_ONLY) is applied, once.
        try vaults.fixture.seclabChecked(["secret", "delete", vaults.b, "DB_URL"])
        #expect(run.wait(upTo: 60) { run.lines.count >= 2 }, "\(run.stderr)")
        Thread.sleep(forTimeInterval: 2 * Self.interval)
        #expect(run.lines.count == 2, "\(run.lines)")
        #expect(Self.values(run.lines.last) == "alpha-1 bravo-2 db-from-a unset unset", "\(run.lines)")
        #expect(run.stop() == 0)
        #expect(run.homeAndTmpEmpty)
    }

    /// Revoked while watching (docs/seclab-run.md "Watch"), for that credential only: its
    /// record leaves the fallback file, the other's stays; its vault's changes never reach
    /// COMMAND, the other vault's still do; a fresh start is refused (123) and runs nothing.
    @Test func aRevokedCredentialWhileWatchingStopsOnlyItsOwnChanges() throws {
        let vaults = try TwoVaults(a: ["ALPHA_ONLY": "alpha-1"], b: ["BRAVO_ONLY": "bravo-1"])
        let fallback = vaults.fixture.server.directory.appendingPathComponent("watch-two.slfb").path
        let run = try BackgroundRun(vaults.fixture, TwoVaults.both + ["--watch", "--watch-interval", "2", "--fallback", fallback],
                                    script: Self.script, environment: vaults.keys)
        #expect(run.wait(upTo: 60) { run.lines.count == 1 }, "\(run.stderr)")
        let before = TwoVaults.records(atPath: fallback)
        #expect(before?.count == 2)
        try vaults.fixture.seclabChecked(["machine", "revoke", vaults.b, "key-b"])
        #expect(run.wait(upTo: 60) { run.stderr.contains("warning: watch: --credential-env KEY_B: the server refused the machine credential") },
                "\(run.stderr)")
        #expect(run.wait(upTo: 30) { TwoVaults.records(atPath: fallback)?.count == 1 })
        #expect(TwoVaults.records(atPath: fallback)?.first?.slot == before?.first?.slot)
        #expect(!run.stderr.contains("--credential-env KEY_A: the server refused"))

        try vaults.set(vaults.b, "BRAVO_ONLY", "bravo-after-revoke")
        try vaults.set(vaults.a, "ALPHA_ONLY", "alpha-2")
        #expect(run.wait(upTo: 60) { run.lines.count >= 2 }, "\(run.stderr)")
        Thread.sleep(forTimeInterval: 3 * Self.interval)
        #expect(run.lines.count == 2, "\(run.lines)")
        #expect(Self.values(run.lines.last) == "alpha-2 bravo-1 none unset unset", "\(run.lines)")
        #expect(run.stderr.contains("the vault of --credential-env KEY_A changed"), "\(run.stderr)")
        #expect(run.stop() == 0)
        #expect(TwoVaults.records(atPath: fallback)?.count == 1)

        let marker = vaults.fixture.server.directory.appendingPathComponent("ran-after-revoke").path
        let again = try vaults.fixture.run(TwoVaults.both + ["--fallback", fallback, "--", "/bin/sh", "-c", "touch \(marker)"],
                                           environment: vaults.keys)
        #expect(again.status == 123 && again.stderr.contains("--credential-env KEY_B"), "\(again.stderr)")
        #expect(!FileManager.default.fileExists(atPath: marker))
    }

    @Test func watchSignalReloadsFilesFromEitherVaultWithoutRestarting() throws {
        let vaults = try TwoVaults(a: ["ALPHA_TOKEN": "alpha-1"], b: ["BRAVO_TOKEN": "bravo-1"])
        let parent = "/dev/shm/seclab-watch-\(UUID().uuidString)"
        try FileManager.default.createDirectory(atPath: parent, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: parent) }
        let show = "$(cat \"$A_FILE\") $(cat \"$B_FILE\")"
        let script = "echo \"start $$ \(show)\" >> \"$LOG\"; trap 'echo \"reload $$ \(show)\" >> \"$LOG\"' HUP; trap 'exit 0' TERM; while :; do sleep 0.2; done"
        let run = try BackgroundRun(vaults.fixture, TwoVaults.both + ["--watch", "--watch-interval", "2", "--watch-signal", "HUP",
                                                                      "--files-dir", parent, "--file", "ALPHA_TOKEN=A_FILE",
                                                                      "--file", "BRAVO_TOKEN=B_FILE"],
                                    script: script, environment: vaults.keys)
        #expect(run.wait(upTo: 60) { run.lines.count == 1 }, "\(run.stderr)")
        // A change in the second vault, then one in the first: each a reload of the same
        // process, with both files current, never a restart.
        try vaults.set(vaults.b, "BRAVO_TOKEN", "bravo-2")
        #expect(run.wait(upTo: 60) { run.lines.count >= 2 }, "\(run.stderr)")
        try vaults.set(vaults.a, "ALPHA_TOKEN", "alpha-2")
        #expect(run.wait(upTo: 60) { run.lines.count >= 3 }, "\(run.stderr)")
        Thread.sleep(forTimeInterval: 2 * Self.interval)
        let lines = run.lines
        #expect(lines.count == 3, "\(lines)")
        if lines.count == 3 {
            let pid = Self.pid(lines[0])
            #expect(lines[0] == "start \(pid) alpha-1 bravo-1", "\(lines)")
            #expect(lines[1] == "reload \(pid) alpha-1 bravo-2", "\(lines)")
            #expect(lines[2] == "reload \(pid) alpha-2 bravo-2", "\(lines)")
        }
        #expect(run.stop() == 0)
        #expect(try FileManager.default.contentsOfDirectory(atPath: parent).isEmpty)
    }
}
