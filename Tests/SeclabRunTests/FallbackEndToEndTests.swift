import Foundation
import SeclabTestSupport
import Testing

/// `--fallback` end to end (spec §11 A2): written after every verified pull,
/// used only when the server is unreachable, refused when too old, another credential's,
/// modified, or when the server refuses the credential; nothing in HOME or TMPDIR.
@Suite(.serialized) struct FallbackEndToEndTests {
    /// Run seclab-run with HOME and TMPDIR empty directories of its own, and check they stay empty.
    func run(_ fixture: RunFixture, _ arguments: [String], credential: String? = nil, scratch: URL) throws -> (status: Int32, stdout: String, stderr: String) {
        let home = scratch.appendingPathComponent("home-\(UUID().uuidString)"), tmp = scratch.appendingPathComponent("tmp-\(UUID().uuidString)")
        for url in [home, tmp] { try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true) }
        let result = try fixture.run(["--timeout", "3"] + arguments, credential: credential, environment: ["HOME": home.path, "TMPDIR": tmp.path])
        #expect(try FileManager.default.contentsOfDirectory(atPath: home.path).isEmpty)
        #expect(try FileManager.default.contentsOfDirectory(atPath: tmp.path).isEmpty)
        return result
    }

    @Test func fallbackIsUsedOnlyWhenItShouldBe() throws {
        let fixture = try RunFixture()
        let scratch = fixture.server.directory.appendingPathComponent("fallback-test")
        let files = scratch.appendingPathComponent("files")
        try FileManager.default.createDirectory(at: files, withIntermediateDirectories: true)
        let path = files.appendingPathComponent("app.slfb").path
        let otherCredential = try fixture.mintCredential(vault: "ci", label: "other")
        let revokedCredential = try fixture.mintCredential(vault: "ci", label: "revoked")
        let otherPath = files.appendingPathComponent("other.slfb").path
        let revokedPath = files.appendingPathComponent("revoked.slfb").path
        let marker = scratch.appendingPathComponent("ran").path
        let print = ["--", "/bin/sh", "-c", "printf '%s' \"$API_TOKEN\"; touch \(marker)"]
        func ranNothing() -> Bool {
            defer { try? FileManager.default.removeItem(atPath: marker) }
            return !FileManager.default.fileExists(atPath: marker)
        }

        // Server up: each run writes its file (0600, nothing else beside it), and runs.
        for (credential, file) in [(fixture.credential, path), (otherCredential, otherPath), (revokedCredential, revokedPath)] {
            let live = try run(fixture, ["--fallback", file] + print, credential: credential, scratch: scratch)
            #expect(live.status == 0 && live.stdout == RunFixture.secrets["API_TOKEN"]!, "\(live.stderr)")
            #expect(!live.stderr.contains("warning"), "\(live.stderr)")
            #expect(!ranNothing())
            let mode = try FileManager.default.attributesOfItem(atPath: file)[.posixPermissions] as? Int
            #expect(mode == 0o600)
        }
        #expect(try FileManager.default.contentsOfDirectory(atPath: files.path).sorted() == ["app.slfb", "other.slfb", "revoked.slfb"])
        // The file holds no value and no name in the clear.
        let sealed = try Data(contentsOf: URL(fileURLWithPath: path))
        for (name, value) in RunFixture.secrets where value.count >= 6 {
            #expect(sealed.range(of: Data(value.utf8)) == nil && sealed.range(of: Data(name.utf8)) == nil)
        }

        // Revoked, server up: refused (123), nothing runs, never the file; its record is removed.
        try fixture.seclabChecked(["machine", "revoke", "ci", "revoked"])
        let revoked = try run(fixture, ["--fallback", revokedPath] + print, credential: revokedCredential, scratch: scratch)
        #expect(revoked.status == 123, "\(revoked.stderr)")
        #expect(ranNothing())
        #expect(!FileManager.default.fileExists(atPath: revokedPath))

        // A flipped byte (server up does not matter: prepare it now).
        var flipped = Array(sealed)
        flipped[flipped.count - 20] ^= 1
        let flippedPath = files.appendingPathComponent("flipped.slfb").path
        try Data(flipped).write(to: URL(fileURLWithPath: flippedPath))

        fixture.server.stop()

        // Server down: runs from the file, with a warning naming its age.
        let offline = try run(fixture, ["--fallback", path] + print, scratch: scratch)
        #expect(offline.status == 0 && offline.stdout == RunFixture.secrets["API_TOKEN"]!, "\(offline.stderr)")
        #expect(offline.stderr.contains("running from the fallback file") && offline.stderr.contains("pulled ") && offline.stderr.contains(" ago"),
                "\(offline.stderr)")
        #expect(!ranNothing())
        // The same through SECLAB_FALLBACK, with --only selecting from the sealed pull.
        let viaEnvironment = try fixture.run(["--timeout", "3", "--only", "SHORT", "--", "/bin/sh", "-c", "printf '%s:%s' \"$SHORT\" \"${API_TOKEN:-unset}\""],
                                             environment: ["SECLAB_FALLBACK": path])
        #expect(viaEnvironment.status == 0 && viaEnvironment.stdout == "yes:unset", "\(viaEnvironment.stderr)")

        // Too old: refused with the unreachable code, nothing runs.
        Thread.sleep(forTimeInterval: 2.5)
        let old = try run(fixture, ["--fallback", path, "--fallback-max-age", "2"] + print, scratch: scratch)
        #expect(old.status == 124 && old.stderr.contains("older than --fallback-max-age"), "\(old.stderr)")
        #expect(ranNothing())

        // Another credential's file: integrity failure (122), nothing runs.
        let other = try run(fixture, ["--fallback", otherPath] + print, scratch: scratch)
        #expect(other.status == 122 && other.stderr.contains("another credential"), "\(other.stderr)")
        #expect(ranNothing())

        // A flipped byte: 122, nothing runs.
        let modified = try run(fixture, ["--fallback", flippedPath] + print, scratch: scratch)
        #expect(modified.status == 122, "\(modified.stderr)")
        #expect(ranNothing())

        // No file at all: the plain 124 of an unreachable server.
        let none = try run(fixture, ["--fallback", files.appendingPathComponent("missing.slfb").path] + print, scratch: scratch)
        #expect(none.status == 124 && none.stderr.contains("no fallback file"), "\(none.stderr)")
        #expect(ranNothing())
        // Nothing but the named files was ever written beside them.
        #expect(try FileManager.default.contentsOfDirectory(atPath: files.path).sorted() == ["app.slfb", "flipped.slfb", "other.slfb"])
    }

    /// Options are checked before anything runs.
    @Test func watchOptionsAreValidated() throws {
        let fixture = try RunFixture.get()
        for (arguments, expected) in [(["--watch-signal", "HUP"], "need --watch"), (["--watch", "--watch-signal", "HUP"], "needs --files-dir"),
                                      (["--watch", "--watch-signal", "KILL"], "--watch-signal takes"),
                                      (["--watch", "--watch-interval", "0"], "--watch-interval takes"),
                                      (["--fallback-max-age", "soon"], "--fallback-max-age takes")] {
            let result = try fixture.run(arguments + ["--", "/bin/true"])
            #expect(result.status == 125 && result.stderr.contains(expected), "\(arguments): \(result.stderr)")
        }
    }
}
