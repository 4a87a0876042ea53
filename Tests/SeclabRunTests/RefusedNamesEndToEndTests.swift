import Foundation
import SeclabTestSupport
import Testing

/// The reviewer's planted-name attacks, through the real binaries: a vault writer plants
/// variables that make an innocent command run theirs. seclab-run refuses them (exit 125) and
/// the planted command never runs; `--allow-name` for exactly those names shows the attack is
/// real (so the test can fail).
@Suite(.serialized) struct RefusedNamesEndToEndTests {
    let fixture: RunFixture
    init() throws { fixture = try RunFixture.get() }

    /// A vault holding `secrets`, and a credential for it.
    func vault(_ name: String, _ secrets: [(String, String)]) throws -> String {
        try fixture.seclabChecked(["vault", "create", name])
        for (key, value) in secrets { try fixture.seclabChecked(["secret", "set", name, key], stdin: Array(value.utf8)) }
        return try fixture.mintCredential(vault: name, label: "\(name)-ci")
    }

    func scratch() throws -> URL {
        let directory = fixture.server.directory.appendingPathComponent("attack-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        return directory
    }

    @Test func gitConfigFromTheVaultNeverRunsOnGitStatus() throws {
        let directory = try scratch()
        let marker = directory.appendingPathComponent("fsmonitor-ran").path
        let repo = directory.appendingPathComponent("repo").path
        let initialized = try runProcess(URL(fileURLWithPath: "/usr/bin/git"), arguments: ["init", "-q", repo], environment: ["PATH": "/usr/bin:/bin", "HOME": directory.path])
        #expect(initialized.status == 0, "\(initialized.stderr)")
        let planted = ["GIT_CONFIG_COUNT", "GIT_CONFIG_KEY_0", "GIT_CONFIG_VALUE_0"]
        let credential = try vault("git-attack", [("GIT_CONFIG_COUNT", "1"), ("GIT_CONFIG_KEY_0", "core.fsmonitor"),
                                                  ("GIT_CONFIG_VALUE_0", "touch \(marker)"), ("API_TOKEN", "tok_git_attack_123")])
        let result = try fixture.run(["--", "git", "-C", repo, "status"], credential: credential)
        #expect(result.status == 125, "\(result.stderr)")
        #expect(result.stderr.contains("GIT_CONFIG_") && result.stderr.contains("git configuration and helpers"))
        #expect(result.stdout.isEmpty)
        #expect(!FileManager.default.fileExists(atPath: marker))

        // A pipeline that pins its names never even fetches them.
        let pinned = try fixture.run(["--only", "API_TOKEN", "--", "git", "-C", repo, "status"], credential: credential)
        #expect(pinned.status == 0, "\(pinned.stderr)")
        #expect(!FileManager.default.fileExists(atPath: marker))

        // The attack is real: allowed by name, git runs the planted command.
        let allowed = try fixture.run(["--allow-name", planted.joined(separator: ","), "--", "git", "-C", repo, "status"], credential: credential)
        #expect(allowed.status == 0, "\(allowed.stderr)")
        #expect(FileManager.default.fileExists(atPath: marker), "the planted fsmonitor did not run even when allowed: the test proves nothing")
    }

    @Test(.enabled(if: FileManager.default.isExecutableFile(atPath: "/usr/bin/python3")))
    func pythonWarningsAndBrowserNeverRunOnPython() throws {
        let directory = try scratch()
        let marker = directory.appendingPathComponent("browser-ran").path
        // PYTHONWARNINGS names a module to import (antigravity), which opens $BROWSER.
        let credential = try vault("python-attack", [("PYTHONWARNINGS", "all:0:antigravity.x:0:0"),
                                                     ("BROWSER", "/bin/sh -c \"touch \(marker)\" #%s")])
        let command = ["--", "/usr/bin/python3", "-c", "print('hello')"]
        let result = try fixture.run(command, credential: credential)
        #expect(result.status == 125, "\(result.stderr)")
        #expect(result.stderr.contains("PYTHONWARNINGS") || result.stderr.contains("BROWSER"))
        #expect(!FileManager.default.fileExists(atPath: marker))

        let allowed = try fixture.run(["--allow-name", "PYTHONWARNINGS,BROWSER"] + command, credential: credential)
        #expect(allowed.status == 0, "\(allowed.stderr)")
        usleep(300_000)  // webbrowser may start the command in the background
        #expect(FileManager.default.fileExists(atPath: marker), "the planted browser did not run even when allowed: the test proves nothing")
    }

    /// The other names of the review, each alone in a vault: refused before anything runs.
    @Test func theReviewersOtherNamesAreRefused() throws {
        let names = ["JDK_JAVA_OPTIONS", "HTTPS_PROXY", "https_proxy", "SSL_CERT_FILE", "CURL_CA_BUNDLE", "SSLKEYLOGFILE", "OPENSSL_CONF",
                     "HOME", "DOCKER_HOST"]
        let credential = try vault("review-names", names.map { ($0, "/tmp/planted-by-the-vault-writer") })
        let directory = try scratch()
        let marker = directory.appendingPathComponent("ran").path
        for name in names {
            let result = try fixture.run(["--only", name, "--", "/bin/sh", "-c", "touch \(marker)"], credential: credential)
            #expect(result.status == 125 && result.stderr.contains("'\(name)' is refused"), "\(name): \(result.status) \(result.stderr)")
        }
        #expect(!FileManager.default.fileExists(atPath: marker))
    }

    /// `--only-file`: the committed names file is the pin; a name the vault writer adds is not fetched.
    @Test func onlyFilePinsTheNames() throws {
        let credential = try vault("pinned", [("DEPLOY_TOKEN", "tok_pinned_deploy_1"), ("GIT_SSH_COMMAND", "touch /nonexistent")])
        let directory = try scratch()
        let names = directory.appendingPathComponent("deploy.names")
        try Data("# what the deploy takes\n  DEPLOY_TOKEN  \r\n\n".utf8).write(to: names)
        let result = try fixture.run(["--only-file", names.path, "--", "/bin/sh", "-c", "printf '%s|%s' \"$DEPLOY_TOKEN\" \"${GIT_SSH_COMMAND:-unset}\""],
                                     credential: credential)
        #expect(result.status == 0, "\(result.stderr)")
        #expect(result.stdout == "tok_pinned_deploy_1|unset")
        try Data("DEPLOY_TOKEN\nNOT_IN_THE_VAULT\n".utf8).write(to: names)
        let missing = try fixture.run(["--only-file", names.path, "--", "/bin/true"], credential: credential)
        #expect(missing.status == 123 && missing.stderr.contains("NOT_IN_THE_VAULT"), "\(missing.stderr)")
        try Data("# nothing\n".utf8).write(to: names)
        let empty = try fixture.run(["--only-file", names.path, "--", "/bin/true"], credential: credential)
        #expect(empty.status == 125 && empty.stderr.contains("lists no names"), "\(empty.stderr)")
        let absent = try fixture.run(["--only-file", directory.appendingPathComponent("nope").path, "--", "/bin/true"], credential: credential)
        #expect(absent.status == 125 && absent.stderr.contains("cannot read"), "\(absent.stderr)")
    }
}
