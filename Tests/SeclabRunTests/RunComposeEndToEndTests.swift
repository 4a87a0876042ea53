import Foundation
import SeclabTestSupport
import Testing

/// The real seclab-run binary against the real server,
/// vaults and credentials made with the real `seclab` CLI (RunFixture): several vaults merged
/// and colliding, renames and prefixes, references, templates into /dev/fd/N, the JSON dry
/// run; and after every mode TMPDIR and HOME are still empty.
@Suite struct RunComposeEndToEndTests {
    let fixture: RunFixture
    init() throws { fixture = try RunFixture.get() }

    /// A fresh vault holding `secrets`, and a credential for it.
    func vault(_ label: String, _ secrets: [String: String]) throws -> String {
        let name = "\(label)-\(UUID().uuidString.prefix(8).lowercased())"
        try fixture.seclabChecked(["vault", "create", name])
        for (key, value) in secrets { try fixture.seclabChecked(["secret", "set", name, key], stdin: Array(value.utf8)) }
        return try fixture.mintCredential(vault: name, label: label)
    }

    /// A command that leaves a marker file when it runs; returns it and the marker's path.
    func marked(_ script: String = "true") -> (command: [String], marker: String) {
        let marker = fixture.server.directory.appendingPathComponent("ran-\(UUID().uuidString)").path
        return (["--", "/bin/sh", "-c", "touch \(marker); \(script)"], marker)
    }

    /// Expect a failure with `code` whose message contains every one of `texts`, and that nothing ran.
    func expectRefused(_ arguments: [String], code: Int32, _ texts: [String], environment: [String: String] = [:],
                       sourceLocation: SourceLocation = #_sourceLocation) throws {
        let run = marked("env")
        let result = try fixture.run(arguments + run.command, environment: environment)
        #expect(result.status == code, "\(arguments): \(result.stderr)", sourceLocation: sourceLocation)
        #expect(result.stdout.isEmpty, sourceLocation: sourceLocation)
        let lines = result.stderr.split(separator: "\n")
        #expect(lines.first?.hasPrefix("seclab-run: error: ") == true && lines.count <= 2, "\(result.stderr)", sourceLocation: sourceLocation)
        for text in texts { #expect(result.stderr.contains(text), "\(arguments): '\(text)' not in \(result.stderr)", sourceLocation: sourceLocation) }
        #expect(!FileManager.default.fileExists(atPath: run.marker), sourceLocation: sourceLocation)
    }

    @Test func twoVaultsMergeCollideAndOverride() throws {
        let shared = try vault("shared", ["SHARED_ONLY": "from-shared-1", "DB_URL": "postgres://shared"])
        let service = try vault("service", ["SERVICE_ONLY": "from-service-2", "DB_URL": "postgres://service"])
        let keys = ["SHARED_KEY": shared, "SERVICE_KEY": service]
        let both = ["--credential-env", "SHARED_KEY", "--credential-env", "SERVICE_KEY"]

        // Colliding without --override: one line naming the name and both credentials; nothing runs.
        try expectRefused(both, code: 125, ["'DB_URL'", "--credential-env SHARED_KEY", "--credential-env SERVICE_KEY"], environment: keys)
        // --fallback takes both credentials and merges the same way (MultiCredentialWatchTests goes further).
        let fallbackFile = fixture.server.directory.appendingPathComponent("two-\(UUID().uuidString).slfb").path
        defer { try? FileManager.default.removeItem(atPath: fallbackFile) }
        try expectRefused(both + ["--fallback", fallbackFile], code: 125, ["'DB_URL'", "--credential-env SHARED_KEY", "--credential-env SERVICE_KEY"],
                          environment: keys)
        let withFallback = try fixture.run(both + ["--override", "--fallback", fallbackFile, "--", "/bin/sh", "-c", "printf '%s' \"$DB_URL\""],
                                           environment: keys)
        #expect(withFallback.status == 0 && withFallback.stdout == "postgres://service", "\(withFallback.stderr)")
        #expect(FileManager.default.fileExists(atPath: fallbackFile))
        // The --watch/--fallback path merges and reports exactly as the plain one.
        let watchDry = try fixture.run(both + ["--override", "--watch", "--fallback", fallbackFile, "--dry-run"], environment: keys)
        #expect(watchDry.status == 0, "\(watchDry.stderr)")
        #expect(watchDry.stdout.contains("DB_URL\tenv\t18 bytes\tfrom --credential-env SERVICE_KEY (overrides --credential-env SHARED_KEY)"), "\(watchDry.stdout)")
        #expect(watchDry.stdout.contains("SHARED_ONLY\tenv\t13 bytes\tfrom --credential-env SHARED_KEY"), "\(watchDry.stdout)")

        let script = "printf '%s|%s|%s' \"$DB_URL\" \"$SHARED_ONLY\" \"$SERVICE_ONLY\"; echo; env"
        let later = try fixture.run(both + ["--override", "--", "/bin/sh", "-c", script], environment: keys)
        #expect(later.status == 0, "\(later.stderr)")
        #expect(later.stdout.hasPrefix("postgres://service|from-shared-1|from-service-2\n"))
        // Every credential variable used is scrubbed, and so are the defaults.
        for scrubbed in ["SHARED_KEY=", "SERVICE_KEY=", "SECLAB_MACHINE_KEY", "SECLAB_SERVER", shared, service] {
            #expect(!later.stdout.contains(scrubbed), "\(scrubbed) reached the child")
        }
        let reversed = try fixture.run(["--credential-env", "SERVICE_KEY", "--credential-env", "SHARED_KEY", "--override",
                                        "--", "/bin/sh", "-c", "printf '%s' \"$DB_URL\""], environment: keys)
        #expect(reversed.status == 0 && reversed.stdout == "postgres://shared", "\(reversed.stderr)")

        // A file and a variable mix; --only selects across both vaults; a name in neither is 123.
        let file = fixture.server.directory.appendingPathComponent("service-\(UUID().uuidString).key")
        try (service + "\n").write(to: file, atomically: true, encoding: .utf8)
        defer { try? FileManager.default.removeItem(at: file) }
        let mixed = try fixture.run(["--credential-env", "SHARED_KEY", "--credential-file", file.path, "--only", "SHARED_ONLY,SERVICE_ONLY",
                                     "--", "/bin/sh", "-c", "printf '%s|%s|%s' \"$SHARED_ONLY\" \"$SERVICE_ONLY\" \"${DB_URL-unset}\""],
                                    environment: keys)
        #expect(mixed.status == 0 && mixed.stdout == "from-shared-1|from-service-2|unset", "\(mixed.stderr)")
        try expectRefused(both + ["--only", "SHARED_ONLY,NOT_ANYWHERE"], code: 123, ["NOT_ANYWHERE"], environment: keys)

        // A bad or missing credential is named by its source.
        try expectRefused(both, code: 125, ["--credential-env SERVICE_KEY"], environment: ["SHARED_KEY": shared, "SERVICE_KEY": "slmk2_garbage"])
        try expectRefused(both, code: 125, ["--credential-env SERVICE_KEY", "not set"], environment: ["SHARED_KEY": shared])

        // --dry-run shows where each name came from and what it overrode, never a value.
        let text = try fixture.run(both + ["--override", "--dry-run"], environment: keys)
        #expect(text.status == 0, "\(text.stderr)")
        #expect(text.stdout.contains("DB_URL\tenv\t18 bytes\tfrom --credential-env SERVICE_KEY (overrides --credential-env SHARED_KEY)"))
        #expect(text.stdout.contains("SHARED_ONLY\tenv\t13 bytes\tfrom --credential-env SHARED_KEY"))
        let json = try fixture.run(both + ["--override", "--dry-run", "--json"], environment: keys)
        #expect(json.status == 0, "\(json.stderr)")
        let object = try #require(try JSONSerialization.jsonObject(with: Data(json.stdout.utf8)) as? [String: Any])
        let secrets = try #require(object["secrets"] as? [[String: Any]])
        #expect(object["count"] as? Int == 3 && secrets.count == 3)
        let db = try #require(secrets.first { $0["name"] as? String == "DB_URL" })
        #expect(db["source"] as? String == "--credential-env SERVICE_KEY" && db["destination"] as? String == "env" && db["bytes"] as? Int == 18)
        #expect(db["overrides"] as? [String] == ["--credential-env SHARED_KEY"])
        for value in ["postgres://", "from-shared-1", "from-service-2"] {
            #expect(!json.stdout.contains(value) && !text.stdout.contains(value))
        }
    }

    @Test func renamesAndPrefixGoThroughTheNamePolicy() throws {
        let script = "printf '%s|%s|%s|%s|%s' \"$DB\" \"${DATABASE_URL-unset}\" \"$APP_API_TOKEN\" \"${API_TOKEN-unset}\" \"$APP_SHORT\""
        let result = try fixture.run(["--env", "DB=DATABASE_URL", "--prefix", "APP_", "--", "/bin/sh", "-c", script])
        #expect(result.status == 0, "\(result.stderr)")
        let secrets = RunFixture.secrets
        #expect(result.stdout == "\(secrets["DATABASE_URL"]!)|unset|\(secrets["API_TOKEN"]!)|unset|yes")

        // A rename can deliver one secret under two names; --file still refers to the stored name.
        let twice = try fixture.run(["--env", "A1=SHORT", "--env", "A2=SHORT", "--file", "TLS_KEY=KEY_PATH", "--", "/bin/sh", "-c",
                                     "printf '%s%s|%s|' \"$A1\" \"$A2\" \"${SHORT-unset}\"; cat \"$KEY_PATH\""])
        #expect(twice.status == 0 && twice.stdout == "yesyes|unset|" + secrets["TLS_KEY"]!, "\(twice.stderr)")

        try expectRefused(["--env", "LD_PRELOAD=SHORT"], code: 125, ["LD_PRELOAD", "refused"])
        try expectRefused(["--prefix", "LD_"], code: 125, ["refused"])
        try expectRefused(["--prefix", "1"], code: 125, ["not a valid environment variable name"])
        try expectRefused(["--env", "X=NOT_IN_VAULT"], code: 123, ["NOT_IN_VAULT", "--env X=NOT_IN_VAULT"])
        try expectRefused(["--env", "API_TOKEN=SHORT"], code: 125, ["two secrets", "'API_TOKEN'"])
        // Allowed by name, the result is delivered.
        let allowed = try fixture.run(["--env", "PYTHONWARNINGS=SHORT", "--allow-name", "PYTHONWARNINGS", "--", "/bin/sh", "-c", "printf '%s' \"$PYTHONWARNINGS\""])
        #expect(allowed.status == 0 && allowed.stdout == "yes", "\(allowed.stderr)")
    }

    @Test func expandResolvesReferencesAndRefusesCyclesAndMissingNames() throws {
        let credential = try vault("expand", [
            "DB_USER": "app", "DB_PASSWORD": "p@ss w0rd", "DB_HOST": "db.internal",
            "DATABASE_URL": "postgres://${DB_USER}:${DB_PASSWORD}@${DB_ADDR}/app", "DB_ADDR": "${DB_HOST}:5432",
            "LITERAL": "cost $5 $${NOT_A_REF} $HOME",
        ])
        let script = "printf '%s\\n%s\\n%s' \"$DATABASE_URL\" \"$LITERAL\" \"$DB_ADDR\""
        let expanded = try fixture.run(["--expand", "--", "/bin/sh", "-c", script], credential: credential)
        #expect(expanded.status == 0, "\(expanded.stderr)")
        #expect(expanded.stdout == "postgres://app:p@ss w0rd@db.internal:5432/app\ncost $5 ${NOT_A_REF} $HOME\ndb.internal:5432")
        // Without --expand: byte for byte.
        let plain = try fixture.run(["--", "/bin/sh", "-c", script], credential: credential)
        #expect(plain.stdout == "postgres://${DB_USER}:${DB_PASSWORD}@${DB_ADDR}/app\ncost $5 $${NOT_A_REF} $HOME\n${DB_HOST}:5432")
        // The --fallback path (a pull kept as served) delivers through the same pipeline.
        let fallbackFile = fixture.server.directory.appendingPathComponent("expand-\(UUID().uuidString).slfb").path
        let kept = try fixture.run(["--expand", "--fallback", fallbackFile, "--", "/bin/sh", "-c", script], credential: credential)
        #expect(kept.status == 0 && kept.stdout == expanded.stdout, "\(kept.stderr)")
        #expect(FileManager.default.fileExists(atPath: fallbackFile))
        // --only narrows what a reference can reach: DB_HOST is not in the run.
        let env = ["SECLAB_MACHINE_KEY": credential]
        try expectRefused(["--expand", "--only", "DB_ADDR"], code: 123, ["'DB_ADDR'", "${DB_HOST}"], environment: env)

        let broken = try vault("cycle", ["A": "x${B}", "B": "${C}y", "C": "${A}", "D": "${MISSING_ONE}", "E": "${unclosed"])
        let brokenEnv = ["SECLAB_MACHINE_KEY": broken]
        try expectRefused(["--expand", "--only", "A,B,C"], code: 125, ["cycle", "A → B → C → A"], environment: brokenEnv)
        try expectRefused(["--expand", "--only", "D"], code: 123, ["'D'", "MISSING_ONE"], environment: brokenEnv)
        try expectRefused(["--expand", "--only", "E"], code: 125, ["'E'", "unclosed"], environment: brokenEnv)
        // The same vault without --expand delivers the text as stored.
        let raw = try fixture.run(["--only", "A,D", "--", "/bin/sh", "-c", "printf '%s|%s' \"$A\" \"$D\""], credential: broken)
        #expect(raw.status == 0 && raw.stdout == "x${B}|${MISSING_ONE}", "\(raw.stderr)")
    }

    func template(_ text: String) throws -> String {
        let url = fixture.server.directory.appendingPathComponent("tmpl-\(UUID().uuidString).yaml")
        try text.write(to: url, atomically: true, encoding: .utf8)
        return url.path
    }

    @Test func templatesRenderIntoSealedInMemoryFiles() throws {
        let secrets = RunFixture.secrets
        let source = try template("""
        url: {{ DATABASE_URL }}
        key: {{TLS_KEY|json}}
        token_b64: {{ API_TOKEN | base64 }}
        literal: {{{{ not a tag }}
        short: {{ SHORT | base64 | json }}

        """)
        let script = "case \"$CFG\" in /dev/fd/*) ;; *) exit 9;; esac; cat \"$CFG\"; printf x >> \"$CFG\" 2>/dev/null && echo WRITABLE; true"
        let result = try fixture.run(["--template", "\(source)=CFG", "--", "/bin/sh", "-c", script])
        #expect(result.status == 0, "\(result.stderr)")
        let lines = result.stdout.split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
        #expect(lines[0] == "url: " + secrets["DATABASE_URL"]!)
        let quoted = String(lines[1].dropFirst("key: ".count))
        #expect(try JSONSerialization.jsonObject(with: Data(quoted.utf8), options: .fragmentsAllowed) as? String == secrets["TLS_KEY"]!)
        #expect(lines[2] == "token_b64: " + Data(secrets["API_TOKEN"]!.utf8).base64EncodedString())
        #expect(lines[3] == "literal: {{ not a tag }}")
        #expect(lines[4] == "short: \"eWVz\"")
        #expect(!result.stdout.contains("WRITABLE") && lines.count == 6)

        // With --expand, templates see expanded values; a template beside --files-dir is a 0400 file there.
        let parent = "/dev/shm/seclab-tmpl-\(UUID().uuidString)"
        try FileManager.default.createDirectory(atPath: parent, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: parent) }
        let inDir = try fixture.run(["--files-dir", parent, "--template", "\(source)=CFG", "--", "/bin/sh", "-c", "stat -c %a \"$CFG\"; head -1 \"$CFG\""])
        #expect(inDir.status == 0 && inDir.stdout == "400\nurl: \(secrets["DATABASE_URL"]!)\n", "\(inDir.stderr)")
        #expect(try FileManager.default.contentsOfDirectory(atPath: parent).isEmpty)

        // Each error: one line with the template's line and column; nothing runs.
        try expectRefused(["--template", "\(try template("a: 1\nb: {{ DATABASE_URL | yaml }}\n"))=CFG"], code: 125,
                          ["line 2, column 22", "unknown filter 'yaml'"])
        try expectRefused(["--template", "\(try template("x\n\ny: \"{{ API_TOKEN\"\n"))=CFG"], code: 125, ["line 3, column 5", "unclosed {{"])
        try expectRefused(["--template", "\(try template("ok: {{ NOT_IN_THE_RUN }}"))=CFG"], code: 123, ["line 1, column 5", "'NOT_IN_THE_RUN'"])
        try expectRefused(["--template", "\(try template("{{ }}"))=CFG"], code: 125, ["line 1, column 4", "empty name"])
        try expectRefused(["--template", "\(try template("{{ A | }}"))=CFG"], code: 125, ["empty filter"])
        try expectRefused(["--template", "/nonexistent/seclab.tmpl=CFG"], code: 125, ["cannot read the template"])
        try expectRefused(["--template", "\(source)=LD_PRELOAD"], code: 125, ["template variable", "refused"])
        try expectRefused(["--template", "\(source)=API_TOKEN"], code: 125, ["also set by a secret"])
        // A template error is found before the pull: even with the server unreachable.
        let offline = try fixture.run(["--template", "\(try template("{{ X | nope }}"))=CFG", "--timeout", "1", "--", "/bin/true"],
                                      environment: ["SECLAB_SERVER": "http://127.0.0.1:9"])
        #expect(offline.status == 125 && offline.stderr.contains("unknown filter 'nope'"), "\(offline.stderr)")

        let dry = try fixture.run(["--template", "\(source)=CFG", "--dry-run", "--json"])
        let object = try #require(try JSONSerialization.jsonObject(with: Data(dry.stdout.utf8)) as? [String: Any])
        let entries = try #require(object["secrets"] as? [[String: Any]])
        let entry = try #require(entries.first { $0["template"] as? String == source })
        #expect(entry["variable"] as? String == "CFG" && entry["destination"] as? String == "file" && (entry["bytes"] as? Int ?? 0) > 100)
        for value in secrets.values where value.count > 3 { #expect(!dry.stdout.contains(value)) }
    }

    @Test func tmpdirAndHomeStayEmptyInEveryMode() throws {
        let other = try vault("hygiene", ["OTHER_SECRET": "other-value", "API_TOKEN": "overridden-token"])
        let source = try template("t: {{ API_TOKEN | json }}\n")
        let scratch = fixture.server.directory.appendingPathComponent("empty-\(UUID().uuidString)")
        let tmp = scratch.appendingPathComponent("tmp"), home = scratch.appendingPathComponent("home")
        try FileManager.default.createDirectory(at: tmp, withIntermediateDirectories: true)
        try FileManager.default.createDirectory(at: home, withIntermediateDirectories: true)
        let environment = ["TMPDIR": tmp.path, "HOME": home.path, "OTHER_KEY": other]
        let twoVaults = ["--credential-env", "SECLAB_MACHINE_KEY", "--credential-env", "OTHER_KEY", "--override"]
        let modes: [[String]] = [
            twoVaults, ["--env", "DB=DATABASE_URL", "--prefix", "P_"], ["--expand"], ["--template", "\(source)=CFG"],
            twoVaults + ["--expand", "--template", "\(source)=CFG", "--mask"], twoVaults + ["--dry-run", "--json"],
        ]
        for mode in modes {
            let result = try fixture.run(mode + ["--", "/bin/sh", "-c", "test -z \"$CFG\" || cat \"$CFG\" >/dev/null; echo ok"], environment: environment)
            #expect(result.status == 0, "\(mode): \(result.stderr)")
            #expect(mode.contains("--dry-run") || result.stdout == "ok\n", "\(mode): \(result.stdout)")
        }
        #expect(try FileManager.default.contentsOfDirectory(atPath: tmp.path).isEmpty)
        #expect(try FileManager.default.contentsOfDirectory(atPath: home.path).isEmpty)
    }
}
