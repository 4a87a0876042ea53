import Foundation
import SeclabTestSupport
import Testing

/// Help, completion and the checks that run before any network or crypto work.
struct HelpTests {
    private func seclab(_ arguments: [String], environment: [String: String] = [:]) throws -> (status: Int32, stdout: String, stderr: String) {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("seclab-help-\(UUID().uuidString)").path
        var env = ["SECLAB_CONFIG_DIR": dir, "HOME": dir, "PATH": "/usr/bin:/bin"]
        env.merge(environment) { $1 }
        let result = try runProcess(try Binaries.url(named: "seclab"), arguments: arguments, environment: env, stdin: nil, timeout: 60)
        return (result.status, String(decoding: result.stdout, as: UTF8.self), result.stderr)
    }

    @Test("help lists every command group and says where values come from")
    func help() throws {
        let root = try seclab(["--help"])
        #expect(root.status == 0)
        for group in ["account", "vault", "secret", "machine", "audit"] { #expect(root.stdout.contains(group)) }
        let set = try seclab(["secret", "set", "--help"])
        #expect(set.status == 0 && set.stdout.contains("stdin") && set.stdout.contains("--from-file"))
        let machine = try seclab(["machine", "create", "--help"])
        #expect(machine.stdout.contains("slmk2_") && machine.stdout.contains("--name"))
        #expect(machine.stdout.contains("SECLAB_MACHINE_KEY=") && !machine.stdout.contains("SECLAB_MACHINE_CREDENTIAL"), "seclab-run reads SECLAB_MACHINE_KEY")
        let share = try seclab(["vault", "share", "--help"])
        #expect(share.stdout.contains("--fingerprint") && share.stdout.contains("--with"))
    }

    @Test("completion scripts are generated")
    func completion() throws {
        let bash = try seclab(["--generate-completion-script", "bash"])
        #expect(bash.status == 0 && bash.stdout.contains("seclab"))
    }

    @Test("usage errors and a missing profile fail before any network work, in one voice")
    func earlyFailures() throws {
        let noServer = try seclab(["account", "create", "--email", "a@example.com"])
        #expect(noServer.status == 64 && noServer.stderr.hasPrefix("seclab: error:") && noServer.stderr.contains("seclab: hint:"))
        let badEmail = try seclab(["account", "create", "--email", "nope", "--server", "http://127.0.0.1:9"])
        #expect(badEmail.status == 64 && badEmail.stderr.contains("not an e-mail address"))
        let badFormat = try seclab(["secret", "export", "v", "--format", "yaml"])
        #expect(badFormat.status == 64)
        let noProfile = try seclab(["vault", "list"], environment: ["SECLAB_PASSPHRASE": "x"])
        #expect(noProfile.status == 2 && noProfile.stderr.contains("no seclab profile"))
        #expect(noProfile.stdout.isEmpty)
    }
}
