import Foundation
import SeclabTestSupport
import Testing

/// `--watch` end to end: the real server, the real `seclab` changing the
/// vault, the real `seclab-run` supervising a shell. Each test has its own server (they change
/// or stop it). Waits are generous (the machine is loaded); no test races a short window.
@Suite(.serialized) struct WatchEndToEndTests {
    static let interval = 2.0

    @Test func aChangeRestartsCommandOnceWithTheNewValue() throws {
        let fixture = try RunFixture()
        let run = try BackgroundRun(fixture, ["--watch", "--watch-interval", "2"], script: loggingCommand("API_TOKEN"))
        #expect(run.wait(upTo: 60) { run.lines.count == 1 }, "\(run.stderr)")
        #expect(run.lines.first?.hasSuffix(" " + RunFixture.secrets["API_TOKEN"]!) == true)
        // A few unchanged polls first: they must not restart anything.
        Thread.sleep(forTimeInterval: 3 * Self.interval)
        #expect(run.lines.count == 1)
        try fixture.seclabChecked(["secret", "set", "ci", "API_TOKEN"], stdin: Array("tok_rotated_1".utf8))
        let changedAt = Date()
        #expect(run.wait(upTo: 60) { run.lines.count >= 2 }, "\(run.stderr)")
        let elapsed = Date().timeIntervalSince(changedAt)
        // Within two intervals (plus the loaded machine's slack): printed, not asserted tightly.
        print("watch: restart seen \(String(format: "%.1f", elapsed)) s after the change (interval \(Self.interval) s)")
        #expect(elapsed < 2 * Self.interval * 1.1 + 15)
        #expect(run.lines.last?.hasSuffix(" tok_rotated_1") == true)
        // Exactly one restart: more intervals pass without another start.
        Thread.sleep(forTimeInterval: 3 * Self.interval)
        #expect(run.lines.count == 2, "\(run.lines)")
        #expect(run.lines[0].split(separator: " ")[1] != run.lines[1].split(separator: " ")[1])  // a new process
        #expect(run.stderr.contains("the vault changed; starting COMMAND again"))
        #expect(run.stop() == 0)
        #expect(run.homeAndTmpEmpty)
    }

    @Test func severalChangesInOneIntervalCauseOneRestart() throws {
        let fixture = try RunFixture()
        // A long interval: both changes land between two polls.
        let run = try BackgroundRun(fixture, ["--watch", "--watch-interval", "20"], script: loggingCommand("API_TOKEN"))
        #expect(run.wait(upTo: 60) { run.lines.count == 1 }, "\(run.stderr)")
        let started = Date()
        try fixture.seclabChecked(["secret", "set", "ci", "API_TOKEN"], stdin: Array("tok_a".utf8))
        try fixture.seclabChecked(["secret", "set", "ci", "API_TOKEN"], stdin: Array("tok_b".utf8))
        let bothWithin = Date().timeIntervalSince(started) < 17  // the first poll is at 18 s or later
        #expect(run.wait(upTo: 90) { run.lines.count >= 2 }, "\(run.stderr)")
        Thread.sleep(forTimeInterval: 3)
        if bothWithin { #expect(run.lines.count == 2, "\(run.lines)") }
        #expect(run.lines.last?.hasSuffix(" tok_b") == true)
        #expect(run.stop() == 0)
    }

    @Test func watchSignalReloadsFilesWithoutRestarting() throws {
        let fixture = try RunFixture()
        let parent = "/dev/shm/seclab-watch-\(UUID().uuidString)"
        try FileManager.default.createDirectory(atPath: parent, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: parent) }
        let script = "echo \"start $$ $(cat \"$TOKEN_FILE\")\" >> \"$LOG\"; trap 'echo \"reload $$ $(cat \"$TOKEN_FILE\")\" >> \"$LOG\"' HUP; trap 'exit 0' TERM; while :; do sleep 0.2; done"
        let run = try BackgroundRun(fixture, ["--watch", "--watch-interval", "2", "--watch-signal", "HUP", "--files-dir", parent,
                                              "--file", "API_TOKEN=TOKEN_FILE"], script: script)
        #expect(run.wait(upTo: 60) { run.lines.count == 1 }, "\(run.stderr)")
        try fixture.seclabChecked(["secret", "set", "ci", "API_TOKEN"], stdin: Array("tok_reloaded".utf8))
        #expect(run.wait(upTo: 60) { run.lines.count >= 2 }, "\(run.stderr)")
        Thread.sleep(forTimeInterval: 2 * Self.interval)
        let lines = run.lines
        #expect(lines.count == 2, "\(lines)")
        let pid = lines[0].split(separator: " ")[1]
        #expect(lines[0].hasPrefix("start") && lines[0].hasSuffix(RunFixture.secrets["API_TOKEN"]!))
        #expect(lines.count == 2 && lines[1] == "reload \(pid) tok_reloaded")
        #expect(run.stop() == 0)
        #expect(try FileManager.default.contentsOfDirectory(atPath: parent).isEmpty)
    }

    @Test func aServerStoppedForThreeIntervalsDoesNotDisturbCommand() throws {
        let fixture = try RunFixture()
        let run = try BackgroundRun(fixture, ["--watch", "--watch-interval", "2"], script: loggingCommand("API_TOKEN"))
        #expect(run.wait(upTo: 60) { run.lines.count == 1 }, "\(run.stderr)")
        fixture.server.stop()
        Thread.sleep(forTimeInterval: 3 * Self.interval + 3)
        #expect(run.process.isRunning)
        #expect(run.lines.count == 1)
        // One line per failed poll, saying COMMAND keeps running.
        let warnings = run.stderr.split(separator: "\n").filter { $0.contains("warning: watch:") && $0.contains("keeps running") }
        #expect(warnings.count >= 2, "\(run.stderr)")
        #expect(run.stop() == 0)
        #expect(run.homeAndTmpEmpty)
    }

    /// Documented choice (docs/seclab-run.md "Watch"): revoked while watching, COMMAND keeps
    /// the values it was verified with, nothing new reaches it, a warning per poll, and the
    /// fallback record is removed; a fresh start is refused (123) and runs nothing.
    @Test func revocationWhileWatchingKeepsCommandAndDropsTheFallback() throws {
        let fixture = try RunFixture()
        let credential = try fixture.mintCredential(vault: "ci", label: "watch-revoked")
        let fallback = fixture.server.directory.appendingPathComponent("fallback-revoked.slfb").path
        let run = try BackgroundRun(fixture, ["--watch", "--watch-interval", "2", "--fallback", fallback],
                                    script: loggingCommand("API_TOKEN"), credential: credential)
        #expect(run.wait(upTo: 60) { run.lines.count == 1 }, "\(run.stderr)")
        #expect(FileManager.default.fileExists(atPath: fallback))
        try fixture.seclabChecked(["machine", "revoke", "ci", "watch-revoked"])
        #expect(run.wait(upTo: 60) { run.stderr.contains("refused the machine credential") }, "\(run.stderr)")
        #expect(run.wait(upTo: 30) { !FileManager.default.fileExists(atPath: fallback) })
        // A change after revocation never reaches COMMAND.
        try fixture.seclabChecked(["secret", "set", "ci", "API_TOKEN"], stdin: Array("tok_after_revoke".utf8))
        Thread.sleep(forTimeInterval: 3 * Self.interval)
        #expect(run.process.isRunning)
        #expect(run.lines.count == 1, "\(run.lines)")
        #expect(run.stop() == 0)
        let marker = fixture.server.directory.appendingPathComponent("ran-after-revoke").path
        let again = try fixture.run(["--fallback", fallback, "--", "/bin/sh", "-c", "touch \(marker)"], credential: credential)
        #expect(again.status == 123, "\(again.stderr)")
        #expect(!FileManager.default.fileExists(atPath: marker))
    }
}
