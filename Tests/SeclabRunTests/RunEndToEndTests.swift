import Foundation
import SeclabTestSupport
import Testing

/// seclab-run end to end: the real binary against the real server, through its contract
/// (injection, selection, files, masking, failure codes, hygiene; docs/seclab-run.md).
@Suite struct RunEndToEndTests {
    let fixture: RunFixture
    init() throws { fixture = try RunFixture.get() }

    @Test func injectsSecretsByteExactAndScrubsTheCredential() throws {
        let result = try fixture.run(["--", "/bin/sh", "-c", "printf '%s|%s|' \"$DATABASE_URL\" \"$TLS_KEY\"; env"])
        #expect(result.status == 0, "\(result.stderr)")
        #expect(result.stdout.hasPrefix(RunFixture.secrets["DATABASE_URL"]! + "|" + RunFixture.secrets["TLS_KEY"]! + "|"))
        #expect(!result.stdout.contains("SECLAB_MACHINE_KEY") && !result.stdout.contains("SECLAB_SERVER"))
        #expect(!result.stdout.contains(fixture.credential))
    }

    @Test func passesArgvUntouchedAndTheExitCodeThrough() throws {
        let result = try fixture.run(["--", "/bin/sh", "-c", "printf '[%s]' \"$@\"; exit 42", "sh", "a b", "", "*", "--mask"])
        #expect(result.status == 42)
        #expect(result.stdout == "[a b][][*][--mask]")
    }

    @Test func looksCommandsUpInPathAndUsesReservedCodes() throws {
        #expect(try fixture.run(["--", "printf", "%s", "ok"]).stdout == "ok")
        let missing = try fixture.run(["--", "no-such-command-seclab"])
        #expect(missing.status == 127 && missing.stderr.contains("not found"))
        let notExecutable = try fixture.run(["--", "/etc/hostname"])
        #expect(notExecutable.status == 126)
    }

    @Test func onlyFetchesTheNamedSecretsAndNamesAMissingOne() throws {
        let result = try fixture.run(["--only", "API_TOKEN", "--", "/bin/sh", "-c", "printf '%s:%s' \"$API_TOKEN\" \"${DATABASE_URL:-unset}\""])
        #expect(result.status == 0, "\(result.stderr)")
        #expect(result.stdout == RunFixture.secrets["API_TOKEN"]! + ":unset")
        let missing = try fixture.run(["--only", "API_TOKEN,NOPE_NOT_THERE", "--", "/bin/true"])
        #expect(missing.status == 123 && missing.stderr.contains("NOPE_NOT_THERE"))
        let required = try fixture.run(["--require", "MISSING_ONE", "--", "/bin/true"])
        #expect(required.status == 123 && required.stderr.contains("MISSING_ONE"))
    }

    @Test func deliversSealedInMemoryFiles() throws {
        let script = "case \"$TLS_KEY_PATH\" in /dev/fd/*) ;; *) exit 9;; esac; cat \"$TLS_KEY_PATH\"; printf x >> \"$TLS_KEY_PATH\" 2>/dev/null && echo WRITABLE; printf '%s' \"${TLS_KEY:-none}\""
        let result = try fixture.run(["--file", "TLS_KEY=TLS_KEY_PATH", "--", "/bin/sh", "-c", script])
        #expect(result.status == 0, "\(result.stderr)")
        #expect(result.stdout == RunFixture.secrets["TLS_KEY"]! + "none")
    }

    @Test func filesDirectoryIsTmpfsOnlyAndRemovedAfterwards() throws {
        let parent = "/dev/shm/seclab-test-\(UUID().uuidString)"
        try FileManager.default.createDirectory(atPath: parent, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: parent) }
        let result = try fixture.run(["--files-dir", parent, "--file", "TLS_KEY=KEY_FILE", "--", "/bin/sh", "-c",
                                      "stat -c '%a' \"$(dirname \"$KEY_FILE\")\" \"$KEY_FILE\"; cat \"$KEY_FILE\"; exit 5"])
        #expect(result.status == 5, "\(result.stderr)")
        #expect(result.stdout == "700\n400\n" + RunFixture.secrets["TLS_KEY"]!)
        #expect(try FileManager.default.contentsOfDirectory(atPath: parent).isEmpty)
        let onDisk = fixture.server.directory.path
        let refused = try fixture.run(["--files-dir", onDisk, "--file", "TLS_KEY", "--", "/bin/true"])
        #expect(refused.status == 125 && refused.stderr.contains("not a tmpfs"))
    }

    @Test func masksValuesInOutputIncludingMultiLineValues() throws {
        let script = "echo \"db=$DATABASE_URL\"; printf '%s' \"$TLS_KEY\"; echo \"short=$SHORT\" >&2; exit 3"
        let result = try fixture.run(["--mask", "--", "/bin/sh", "-c", script])
        #expect(result.status == 3)
        #expect(result.stdout == "db=***\n***\n***\n***\n***\n")
        #expect(result.stderr == "short=yes\n")  // below the minimum length: not masked
        for value in RunFixture.secrets.values where value.count >= 6 {
            #expect(!result.stdout.contains(value) && !result.stderr.contains(value))
        }
    }

    @Test func dryRunShowsNoValues() throws {
        let result = try fixture.run(["--dry-run", "--file", "TLS_KEY", "--", "/bin/false"])
        #expect(result.status == 0)
        #expect(result.stdout.contains("API_TOKEN\tenv\t\(RunFixture.secrets["API_TOKEN"]!.utf8.count) bytes"))
        #expect(result.stdout.contains("TLS_KEY\tfile"))
        for value in RunFixture.secrets.values { #expect(!result.stdout.contains(value)) }
    }

    /// Under GitHub Actions the `::add-mask::` lines go to stderr, which the
    /// runner scans like stdout (ScriptHandler.cs), so a step's redirected stdout holds only the
    /// command's output: no mask line and no value.
    @Test func emitsGitHubMasksOnStderrNeverIntoRedirectedStdout() throws {
        let seclabRun = try Binaries.url(named: "seclab-run")
        let environment = ["SECLAB_SERVER": fixture.server.baseURL, "SECLAB_MACHINE_KEY": fixture.credential,
                           "PATH": "/usr/bin:/bin", "GITHUB_ACTIONS": "true"]
        let artifact = fixture.server.directory.appendingPathComponent("artifact-\(UUID().uuidString).txt")
        let result = try runWithPipes(seclabRun, arguments: ["--", "/bin/echo", "started"], environment: environment, stdoutFile: artifact)
        #expect(result.status == 0)
        let written = try String(contentsOf: artifact, encoding: .utf8)
        #expect(written == "started\n")
        for value in RunFixture.secrets.values { #expect(!written.contains(value)) }
        let lines = String(decoding: result.stderr, as: UTF8.self).split(separator: "\n").map(String.init)
        #expect(lines.contains("::add-mask::" + RunFixture.secrets["API_TOKEN"]!))
        #expect(lines.contains("::add-mask::MIIEvQIBADANBgkqhkiG9w0BAQEFAASC"))
        #expect(!lines.contains("::add-mask::yes"))

        // stderr that is a file (the runner never reads it) or the same stream as stdout gets no
        // mask lines, only a warning that the values are not redacted.
        let toFile = try fixture.run(["--", "/bin/echo", "started"], environment: ["GITHUB_ACTIONS": "true"])
        #expect(toFile.stdout == "started\n")
        #expect(!toFile.stderr.contains("::add-mask::") && toFile.stderr.contains("stderr is a file"))
        let merged = try runWithPipes(URL(fileURLWithPath: "/bin/sh"), arguments: ["-c", "exec \"$0\" -- /bin/echo started 2>&1", seclabRun.path],
                                      environment: environment)
        let mergedText = String(decoding: merged.stdout, as: UTF8.self)
        #expect(!mergedText.contains("::add-mask::") && mergedText.contains("same stream as stdout") && mergedText.hasSuffix("started\n"))
        for value in RunFixture.secrets.values where value.count >= 6 { #expect(!mergedText.contains(value)) }

        let optOut = try runWithPipes(seclabRun, arguments: ["--no-github-mask", "--", "/bin/echo", "started"], environment: environment)
        #expect(optOut.stdout == Array("started\n".utf8) && optOut.stderr.isEmpty)
    }

    @Test func refusesBadRevokedAndUnreachableCredentialsWithoutRunning() throws {
        let marker = fixture.server.directory.appendingPathComponent("ran-\(UUID().uuidString)").path
        let command = ["--", "/bin/sh", "-c", "touch \(marker)"]
        var corrupted = Array(fixture.credential)
        corrupted[20] = corrupted[20] == "A" ? "B" : "A"
        let typo = try fixture.run(command, credential: String(corrupted))
        #expect(typo.status == 125 && typo.stderr.contains("checksum"))
        let truncated = try fixture.run(command, credential: String(fixture.credential.dropLast(4)))
        #expect(truncated.status == 125)

        let revokedCredential = try fixture.mintCredential(vault: "ci", label: "to-revoke")
        #expect(try fixture.run(["--", "/bin/true"], credential: revokedCredential).status == 0)
        try fixture.seclabChecked(["machine", "revoke", "ci", "to-revoke"])
        let revoked = try fixture.run(command, credential: revokedCredential)
        #expect(revoked.status == 123, "\(revoked.stderr)")

        let down = try runProcess(try Binaries.url(named: "seclab-run"), arguments: ["--timeout", "2"] + command,
                                  environment: ["SECLAB_SERVER": "http://127.0.0.1:9", "SECLAB_MACHINE_KEY": fixture.credential, "PATH": "/usr/bin:/bin"])
        #expect(down.status == 124 && down.stderr.contains("cannot reach"))
        let insecure = try fixture.run(command, environment: ["SECLAB_SERVER": "http://example.com"])
        #expect(insecure.status == 125 && insecure.stderr.contains("plain http"))
        #expect(!FileManager.default.fileExists(atPath: marker))
    }

    @Test func tamperedItemFailsClosed() throws {
        try fixture.seclabChecked(["vault", "create", "tamper"])
        try fixture.seclabChecked(["secret", "set", "tamper", "VICTIM"], stdin: Array("victim-value-123".utf8))
        try fixture.seclabChecked(["secret", "set", "tamper", "OTHER"], stdin: Array("other-value-456".utf8))
        let credential = try fixture.mintCredential(vault: "tamper", label: "tamper")
        #expect(try fixture.run(["--", "/bin/true"], credential: credential).status == 0)
        // Flip one character inside one item's ciphertext, as a malicious server or DBA could.
        try flipLastValueCharacter(inVaultOf: credential)
        try expectIntegrityFailureRunsNothing(credential: credential)
    }

    /// From 128 items on, items are opened on two threads (SeclabClient.Parallel): every value
    /// must still arrive byte-exact, and an item tampered with in the half the second thread
    /// opens must still stop the run.
    @Test func manyItemsOpenedInParallelStayExactAndFailClosed() throws {
        try fixture.seclabChecked(["vault", "create", "many"])
        var values = [String: String]()
        for index in 0..<200 { values[String(format: "MANY_%03d", index)] = "value-\(index)-\(UUID().uuidString)" }
        let dotenv = fixture.server.directory.appendingPathComponent("many-\(UUID().uuidString).env")
        try values.map { "\($0.key)=\($0.value)\n" }.joined().write(to: dotenv, atomically: true, encoding: .utf8)
        defer { try? FileManager.default.removeItem(at: dotenv) }
        try fixture.seclabChecked(["secret", "import", "many", "--dotenv", dotenv.path])
        let credential = try fixture.mintCredential(vault: "many", label: "many")
        let listed = try fixture.run(["--", "/usr/bin/env"], credential: credential)
        #expect(listed.status == 0, "\(listed.stderr)")
        var seen = [String: String]()
        for line in listed.stdout.split(separator: "\n") where line.hasPrefix("MANY_") {
            let parts = line.split(separator: "=", maxSplits: 1)
            seen[String(parts[0])] = String(parts[1])
        }
        #expect(seen == values)
        // The warm-up's made-up vault (SeclabRun/WarmUp.swift) never reaches the command.
        #expect(!listed.stdout.contains("WARM_UP_VALUE"))

        // The item sorting last by key_ref: the server answers in key_ref order, so it is in the second half.
        try flipLastValueCharacter(inVaultOf: credential)
        try expectIntegrityFailureRunsNothing(credential: credential)
    }

    /// seclab-run with `credential` exits 122 with its one-line message, prints nothing and runs
    /// nothing (the command would leave a marker file and print the environment).
    func expectIntegrityFailureRunsNothing(credential: String) throws {
        let marker = fixture.server.directory.appendingPathComponent("ran-\(UUID().uuidString)").path
        let result = try fixture.run(["--", "/bin/sh", "-c", "touch \(marker); env"], credential: credential)
        #expect(result.status == 122, "\(result.stderr)")
        #expect(result.stdout.isEmpty && result.stderr.contains("nothing was run"))
        #expect(!FileManager.default.fileExists(atPath: marker))
    }

    /// Flip one character in the middle of the value ciphertext of the item sorting last by
    /// key_ref in the vault of `credential` (its slot id is the credential's first 16 bytes),
    /// straight in the server's database, as a malicious server or DBA could; then bump the
    /// vault's revision as the server's own writes do (else its pull cache keeps the old answer).
    /// Found through the credential, not by row order: the suite's tests run in parallel.
    func flipLastValueCharacter(inVaultOf credential: String) throws {
        let python = """
        import base64, sqlite3, sys, uuid
        text = sys.argv[2][len("slmk2_"):]  # the slot id is the first 16 bytes in v1 and v2
        slot = str(uuid.UUID(bytes=base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))[:16]))
        db = sqlite3.connect(sys.argv[1], timeout=10)
        (vault_id,) = db.execute("SELECT vault_id FROM slots WHERE slot_id = ?", (slot,)).fetchone()
        key_ref, blob = db.execute("SELECT key_ref, enc_value FROM items WHERE vault_id = ? ORDER BY key_ref DESC LIMIT 1", (vault_id,)).fetchone()
        head, tail = blob.rsplit('.', 1)
        i = len(tail) // 2
        tail = tail[:i] + ('A' if tail[i] != 'A' else 'B') + tail[i+1:]
        db.execute("UPDATE items SET enc_value = ? WHERE vault_id = ? AND key_ref = ?", (head + '.' + tail, vault_id, key_ref))
        db.execute("UPDATE vaults SET revision = revision + 1 WHERE vault_id = ?", (vault_id,))
        db.commit()
        """
        let tampered = try runProcess(URL(fileURLWithPath: "/usr/bin/env"),
                                      arguments: ["python3", "-c", python, fixture.server.databasePath, credential],
                                      environment: ["PATH": "/usr/local/bin:/usr/bin:/bin"])
        #expect(tampered.status == 0, "\(tampered.stderr)")
    }

    @Test func writesNothingToDisk() throws {
        let scratch = fixture.server.directory.appendingPathComponent("empty-\(UUID().uuidString)")
        let tmp = scratch.appendingPathComponent("tmp"), home = scratch.appendingPathComponent("home")
        try FileManager.default.createDirectory(at: tmp, withIntermediateDirectories: true)
        try FileManager.default.createDirectory(at: home, withIntermediateDirectories: true)
        for mode in [["--file", "TLS_KEY"], ["--mask", "--file", "TLS_KEY"]] {
            let result = try fixture.run(mode + ["--", "/bin/sh", "-c", "cat \"$TLS_KEY\" >/dev/null && echo ok"],
                                         environment: ["TMPDIR": tmp.path, "HOME": home.path])
            #expect(result.status == 0 && result.stdout == "ok\n", "\(result.stderr)")
        }
        #expect(try FileManager.default.contentsOfDirectory(atPath: tmp.path).isEmpty)
        #expect(try FileManager.default.contentsOfDirectory(atPath: home.path).isEmpty)
    }

    /// While it holds decrypted values (supervising with --mask), seclab-run is not dumpable:
    /// the kernel makes its /proc entries root-owned, so even a same-uid process (its own
    /// child) cannot read its environment or memory. Run as an unprivileged user to see it.
    @Test func isNotDumpableWhileHoldingValues() throws {
        let probe = "stat -c %u /proc/$PPID/status; cat /proc/$PPID/environ >/dev/null 2>&1 && echo READABLE || echo DENIED"
        let setpriv = ["--reuid=65534", "--regid=65534", "--clear-groups"]
        let environment = ["SECLAB_SERVER": fixture.server.baseURL, "SECLAB_MACHINE_KEY": fixture.credential, "PATH": "/usr/bin:/bin", "HOME": "/"]
        let wrapped = try runProcess(URL(fileURLWithPath: "/usr/bin/setpriv"),
                                     arguments: setpriv + [try Binaries.url(named: "seclab-run").path, "--mask", "--", "/bin/sh", "-c", probe],
                                     environment: environment)
        #expect(String(decoding: wrapped.stdout, as: UTF8.self) == "0\nDENIED\n", "\(wrapped.stderr)")
        // Control: an ordinary same-uid parent is readable, so the probe can tell the difference.
        let control = try runProcess(URL(fileURLWithPath: "/usr/bin/setpriv"),
                                     arguments: setpriv + ["/bin/sh", "-c", "/bin/sh -c '\(probe)'; true"], environment: environment)
        #expect(String(decoding: control.stdout, as: UTF8.self) == "65534\nREADABLE\n")
    }

    @Test func binaryDoesNotLinkFoundationOrAServerFramework() throws {
        let result = try runProcess(URL(fileURLWithPath: "/usr/bin/env"), arguments: ["readelf", "-d", try Binaries.url(named: "seclab-run").path],
                                    environment: ["PATH": "/usr/bin:/bin"])
        let text = String(decoding: result.stdout, as: UTF8.self)
        // libsodium is linked in (Sources/CSodium/module.modulemap): libcurl is the
        // only non-glibc library seclab-run needs besides libcrypto.
        #expect(result.status == 0 && !text.contains("libsodium") && text.contains("libcurl"))
        for forbidden in ["libFoundation.so", "libFoundationNetworking", "libFoundationInternationalization", "icu", "NIO", "Hummingbird"] {
            #expect(!text.contains(forbidden), "seclab-run links \(forbidden)")
        }
    }
}
