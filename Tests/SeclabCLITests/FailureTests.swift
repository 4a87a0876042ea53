import Foundation
import SeclabKeys
import SeclabTestSupport
import Testing

/// Failure paths: same message for either wrong secret, unknown vault, server down, tampering.
@Suite(.serialized)
struct FailureTests {
    @Test("wrong passphrase and wrong Secret Key read the same and exit 3; unknown vault exits 4")
    func wrongSecrets() throws {
        let server = try ServerProcess()
        let owner = try Device(server: server.baseURL, passphrase: "right passphrase")
        try owner.ok(["account", "create", "--email", "who@example.com"])
        try owner.ok(["vault", "create", "v1"])
        let secretKey = try owner.secretKeyText()

        let wrongPassphrase = try Device(server: server.baseURL, passphrase: "wrong passphrase")
        let a = try wrongPassphrase.run(["account", "login", "--email", "who@example.com", "--secret-key-stdin"],
                                        stdin: Array("\(secretKey)\n".utf8))
        let otherKey = SecretKey.generate().text
        let b = try Device(server: server.baseURL, passphrase: "right passphrase")
            .run(["account", "login", "--email", "who@example.com", "--secret-key-stdin"], stdin: Array("\(otherKey)\n".utf8))
        let c = try Device(server: server.baseURL, passphrase: "right passphrase")
            .run(["account", "login", "--email", "nobody@example.com", "--secret-key-stdin"], stdin: Array("\(secretKey)\n".utf8))
        for run in [a, b, c] {
            #expect(run.status == 3)
            #expect(run.stderr.contains("seclab: error: incorrect passphrase or Secret Key"), "\(run.stderr)")
            #expect(run.stdout.isEmpty)
        }
        #expect(a.stderr == b.stderr)
        #expect(!FileManager.default.fileExists(atPath: wrongPassphrase.configDir.appendingPathComponent("profile.json").path))

        // The right pair on a new device works; a cached session with a wrong passphrase does not.
        wrongPassphrase.passphrase = "right passphrase"
        try wrongPassphrase.ok(["account", "login", "--email", "who@example.com", "--secret-key-stdin"], stdin: Array("\(secretKey)\n".utf8))
        #expect(try wrongPassphrase.ok(["vault", "list"]).text.contains("v1"))
        // A cached token the server no longer knows falls back to one fresh SRP login.
        let sessionURL = wrongPassphrase.configDir.appendingPathComponent("session.json")
        var cached = try #require(try JSONSerialization.jsonObject(with: Data(contentsOf: sessionURL)) as? [String: Any])
        cached["token"] = String(repeating: "A", count: 43)
        try JSONSerialization.data(withJSONObject: cached).write(to: sessionURL)
        #expect(try wrongPassphrase.ok(["vault", "list"]).text.contains("v1"))
        let renewed = try #require(try JSONSerialization.jsonObject(with: Data(contentsOf: sessionURL)) as? [String: Any])
        #expect(renewed["token"] as? String != String(repeating: "A", count: 43))
        let cachedWrong = try wrongPassphrase.run(["vault", "list"], extra: ["SECLAB_PASSPHRASE": "not it"])
        #expect(cachedWrong.status == 3 && cachedWrong.stderr.contains("incorrect passphrase or Secret Key"))

        // Automation without the environment: Secret Key and passphrase as two stdin lines;
        // a value then comes from --from-file.
        let third = try Device(server: server.baseURL, passphrase: "")
        try third.ok(["account", "login", "--email", "who@example.com", "--secret-key-stdin", "--passphrase-stdin"],
                     stdin: Array("\(secretKey)\nright passphrase\n".utf8))
        let valueFile = third.root.appendingPathComponent("value.bin")
        try Data([0, 1, 2, 255, 10]).write(to: valueFile)
        try third.ok(["secret", "set", "v1", "BINARY", "--from-file", valueFile.path, "--passphrase-stdin"], stdin: Array("right passphrase\n".utf8))
        #expect(try owner.ok(["secret", "get", "v1", "BINARY"]).stdout == [0, 1, 2, 255, 10])
        let needsFile = try third.run(["secret", "set", "v1", "X", "--passphrase-stdin"], stdin: Array("right passphrase\n".utf8))
        #expect(needsFile.status == 64 && needsFile.stderr.contains("--from-file"))

        // A mistyped Secret Key is reported as such (spec §3), not as a wrong secret.
        var typo = Array(secretKey)
        typo[10] = typo[10] == "A" ? "B" : "A"
        let mistyped = try Device(server: server.baseURL, passphrase: "right passphrase")
            .run(["account", "login", "--email", "who@example.com", "--secret-key-stdin"], stdin: Array("\(String(typo))\n".utf8))
        #expect(mistyped.status == 64 && mistyped.stderr.contains("checksum"), "\(mistyped.stderr)")

        let unknown = try owner.run(["secret", "get", "no-such-vault", "X"])
        #expect(unknown.status == 4)
        #expect(unknown.stderr.contains("vault 'no-such-vault' not found") && unknown.stderr.contains("seclab: hint:"))

        // Usage errors fail before any network or crypto work.
        let usage = try owner.run(["secret", "set", "v1", "BAD=NAME"], stdin: [])
        #expect(usage.status == 64 && usage.stderr.hasPrefix("seclab: error:"))
    }

    @Test("a server that is down: clear error, exit 5")
    func serverDown() throws {
        let server = try ServerProcess()
        let device = try Device(server: server.baseURL, passphrase: "pass phrase")
        try device.ok(["account", "create", "--email", "down@example.com"])
        server.stop()
        let result = try device.run(["vault", "list"])
        #expect(result.status == 5)
        #expect(result.stderr.contains("seclab: error: cannot reach the server"), "\(result.stderr)")
        #expect(result.stdout.isEmpty)
    }

    @Test("a tampered item fails closed with no partial output")
    func tamperedItem() throws {
        let server = try ServerProcess()
        let device = try Device(server: server.baseURL, passphrase: "pass phrase")
        try device.ok(["account", "create", "--email", "tamper@example.com"])
        try device.ok(["vault", "create", "v"])
        try device.ok(["secret", "set", "v", "A"], stdin: Array("value-a".utf8))
        let tampered = try python(tamperScript, [server.databasePath])
        #expect(tampered.status == 0 && tampered.stdout.hasPrefix("1"), "\(tampered.stderr)")
        for arguments in [["secret", "get", "v", "A"], ["secret", "export", "v", "--format", "dotenv"]] {
            let result = try device.run(arguments)
            #expect(result.status == 6, "\(result.stderr)")
            #expect(result.stdout.isEmpty)
            #expect(result.stderr.contains("integrity check failed"))
        }
    }

    @Test("change-passphrase re-wraps only the account key; the old passphrase is refused")
    func changePassphrase() throws {
        let server = try ServerProcess()
        let device = try Device(server: server.baseURL, passphrase: "old passphrase")
        try device.ok(["account", "create", "--email", "change@example.com"])
        try device.ok(["vault", "create", "v"])
        try device.ok(["secret", "set", "v", "A"], stdin: Array("value-a".utf8))
        let before = try python(dumpItemsScript, [server.databasePath])
        try device.ok(["account", "change-passphrase"], extra: ["SECLAB_NEW_PASSPHRASE": "new passphrase"])
        let after = try python(dumpItemsScript, [server.databasePath])
        #expect(!before.stdout.isEmpty && before.stdout == after.stdout)
        try device.ok(["account", "logout"])
        let old = try device.run(["vault", "list"])
        #expect(old.status == 3 && old.stderr.contains("incorrect passphrase or Secret Key"))
        device.passphrase = "new passphrase"
        #expect(try device.ok(["secret", "get", "v", "A"]).text == "value-a")
    }

    @Test("a stolen session token alone cannot change the passphrase; the owner keeps logging in")
    func stolenTokenCannotChangeThePassphrase() throws {
        let server = try ServerProcess()
        let device = try Device(server: server.baseURL, passphrase: "owner passphrase")
        try device.ok(["account", "create", "--email", "victim@example.com"])
        try device.ok(["vault", "create", "v"])
        let session = try JSONSerialization.jsonObject(with: Data(contentsOf: device.configDir.appendingPathComponent("session.json"))) as? [String: Any]
        let token = try #require(session?["token"] as? String)
        // What the thief sends: a well-formed change with the token, without (or with a made-up) proof.
        let attack = try python("""
            import json, sys, base64, os, urllib.request
            def b64(n): return base64.urlsafe_b64encode(os.urandom(n)).decode().rstrip("=")
            body = {"kdf_profile": "p1", "salt_auk": b64(16), "salt_srp": b64(16), "srp_verifier": b64(512),
                    "enc_private_key": "xc1." + b64(24) + "." + b64(48)}
            codes = []
            for proof in [None, {"login_id": "0b6f3b8e-9a4f-4c55-8a38-1f4f5e6d7c8b", "client_proof": b64(32)}]:
                if proof: body["proof"] = proof
                req = urllib.request.Request(sys.argv[1] + "/v1/account/passphrase", data=json.dumps(body).encode(), method="PUT",
                                             headers={"Authorization": "Bearer " + sys.argv[2], "Content-Type": "application/json"})
                try: codes.append(urllib.request.urlopen(req).status)
                except urllib.error.HTTPError as e: codes.append(e.code)
            print(" ".join(map(str, codes)))
            """, [server.baseURL, token])
        #expect(attack.stdout.trimmingCharacters(in: .whitespacesAndNewlines) == "400 403", "\(attack.stdout) \(attack.stderr)")
        try device.ok(["account", "logout"])
        #expect(try device.ok(["vault", "list"]).text.contains("v"), "the owner's passphrase still works")
    }
}
