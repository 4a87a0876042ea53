import Foundation
import SeclabOIDCTestSupport
import SeclabTestSupport
import Testing

/// A real `seclab-server --oidc-issuer` trusting a local identity provider
/// (real RSA and EC keys, discovery and JWKS over loopback HTTP, a GitHub-style token
/// endpoint), a slot bound with the real `seclab machine create --oidc-…`, pulled by the real
/// `seclab-run` with real tokens, good and hostile.
final class OIDCFixture: @unchecked Sendable {
    let idp: LocalIdentityProvider
    let server: ServerProcess
    /// The servers pulls may go through: `server` alone, or two replicas of one PostgreSQL database.
    let replicas: [ServerProcess]
    let configDirectory: URL
    let passphrase = "fixture passphrase for the OIDC binding tests"
    let secret = "tok_live_oidc_bound_31d7"
    private(set) var bound = ""
    private(set) var unbound = ""
    /// The server's origin: the default audience on both sides.
    var origin: String { server.baseURL }

    static let shared = Task { try await OIDCFixture(postgres: nil) }
    /// Two replicas on one PostgreSQL database (when the test cluster is there).
    static let replicated = Task { try await OIDCFixture(postgres: try PostgresTestDatabase().url) }

    private init(postgres: String?) async throws {
        idp = try await LocalIdentityProvider.start()
        // Aggregated audit rows (refusals) are written each second, so the test sees them soon.
        let arguments = ["--oidc-issuer", idp.issuer] + (postgres.map { ["--database", $0] } ?? [])
        var started = [ServerProcess]()
        for _ in 0..<(postgres == nil ? 1 : 2) {
            let replica = try ServerProcess(extraArguments: arguments, environment: ["SECLAB_AUDIT_WINDOW_SECONDS": "1"])
            replica.cleanUpAtExit()
            started.append(replica)
        }
        replicas = started
        server = started[0]
        configDirectory = server.directory.appendingPathComponent("config")
        try FileManager.default.createDirectory(at: configDirectory, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o700])
        try await seclabChecked(["account", "create", "--email", "oidc-tests@example.test"])
        try await seclabChecked(["vault", "create", "ci"])
        try await seclabChecked(["secret", "set", "ci", "API_TOKEN"], stdin: Array(secret.utf8))
        bound = try await seclabChecked(["machine", "create", "ci", "--name", "gh-main", "--oidc-issuer", idp.issuer,
                                         "--oidc-claim", "repository=acme/*", "--oidc-claim", "ref=refs/heads/main"])
            .trimmingCharacters(in: .whitespacesAndNewlines)
        unbound = try await seclabChecked(["machine", "create", "ci", "--name", "plain"]).trimmingCharacters(in: .whitespacesAndNewlines)
    }

    /// Run a blocking child off the cooperative pool: the identity provider answers on it.
    static func offPool<T: Sendable>(_ work: @escaping @Sendable () throws -> T) async throws -> T {
        try await withCheckedThrowingContinuation { continuation in
            DispatchQueue.global().async { continuation.resume(with: Result { try work() }) }
        }
    }

    func seclab(_ arguments: [String], stdin: [UInt8]? = nil) async throws -> (status: Int32, stdout: String, stderr: String) {
        let environment = ["SECLAB_SERVER": server.baseURL, "SECLAB_CONFIG_DIR": configDirectory.path, "SECLAB_PASSPHRASE": passphrase,
                           "HOME": server.directory.path, "PATH": "/usr/bin:/bin"]
        let result = try await Self.offPool {
            try runProcess(try Binaries.url(named: "seclab"), arguments: arguments, environment: environment, stdin: stdin)
        }
        return (result.status, String(decoding: result.stdout, as: UTF8.self), result.stderr)
    }

    @discardableResult
    func seclabChecked(_ arguments: [String], stdin: [UInt8]? = nil) async throws -> String {
        let result = try await seclab(arguments, stdin: stdin)
        guard result.status == 0 else {
            throw TestSupportError("seclab \(arguments.joined(separator: " ")) failed (\(result.status)): \(result.stderr)")
        }
        return result.stdout
    }

    /// `seclab-run -- /bin/sh -c 'echo "$API_TOKEN"; env'` with `credential` and `extra` variables.
    func run(credential: String, _ extra: [String: String] = [:], via replica: Int = 0) async throws -> (status: Int32, stdout: String, stderr: String) {
        var environment = ["SECLAB_SERVER": replicas[replica].baseURL, "SECLAB_MACHINE_KEY": credential,
                           "PATH": "/usr/local/bin:/usr/bin:/bin", "HOME": server.directory.path]
        environment.merge(extra) { $1 }
        let fixed = environment
        let result = try await Self.offPool {
            try runProcess(try Binaries.url(named: "seclab-run"), arguments: ["--", "/bin/sh", "-c", "echo \"value=$API_TOKEN\"; env"],
                           environment: fixed, timeout: 90)
        }
        return (result.status, String(decoding: result.stdout, as: UTF8.self), result.stderr)
    }
}

@Suite(.serialized) struct OIDCBindingEndToEndTests {
    func fixture() async throws -> OIDCFixture { try await OIDCFixture.shared.value }

    /// A mistyped issuer stops the server at start, naming it (flag and environment alike).
    @Test func theServerRefusesAnUnacceptableIssuer() async throws {
        for (arguments, environment) in [(["--oidc-issuer", "http://issuer.example"], [String: String]()),
                                         ([], ["SECLAB_OIDC_ISSUERS": "https://ok.example, http://issuer.example"])] {
            do {
                let server = try await OIDCFixture.offPool { try ServerProcess(extraArguments: arguments, environment: environment, timeout: 30) }
                _ = await server.stop()
                Issue.record("seclab-server started with an http:// issuer off loopback")
            } catch {
                #expect("\(error)".contains("must use https://"), "\(error)")
            }
        }
    }

    @Test func theBindingIsCheckedAtCreationAndListed() async throws {
        let f = try await fixture()
        let list = try await f.seclabChecked(["machine", "list", "ci"])
        let boundLine = try #require(list.split(separator: "\n").first { $0.hasPrefix("gh-main") })
        #expect(boundLine.contains("bound: issuer=\(f.idp.issuer) audience=\(f.origin) repository=acme/* ref=refs/heads/main"), "\(list)")
        let plainLine = try #require(list.split(separator: "\n").first { $0.hasPrefix("plain") })
        #expect(!plainLine.contains("bound"))
        let json = try await f.seclabChecked(["machine", "list", "ci", "--json"])
        #expect(json.contains("\"oidc_binding\""), "\(json)")

        // An issuer the server does not trust: 400 naming it, nothing created.
        let untrusted = try await f.seclab(["machine", "create", "ci", "--name", "other", "--oidc-issuer", "https://issuer.example",
                                            "--oidc-claim", "repository=acme/app"])
        #expect(untrusted.status != 0)
        #expect(untrusted.stderr.contains("not an OIDC issuer this server trusts"), "\(untrusted.stderr)")
        // An issuer alone would admit every repository: refused before anything is sent.
        let issuerOnly = try await f.seclab(["machine", "create", "ci", "--name", "other", "--oidc-issuer", f.idp.issuer])
        #expect(issuerOnly.status == 64, "\(issuerOnly.stderr)")
        #expect(issuerOnly.stderr.contains("--oidc-claim"))
        // The pattern is checked by the server (three stars).
        let badPattern = try await f.seclab(["machine", "create", "ci", "--name", "other", "--oidc-issuer", f.idp.issuer,
                                             "--oidc-claim", "repository=acme/***"])
        #expect(badPattern.status != 0 && badPattern.stderr.contains("three or more"), "\(badPattern.stderr)")
        #expect(!(try await f.seclabChecked(["machine", "list", "ci"])).contains("other"))
    }

    @Test func aBoundSlotPullsWithAMatchingToken() async throws {
        let f = try await fixture()
        // GitHub Actions: seclab-run asks the runner's endpoint for a token for the server's origin.
        let github = try await f.run(credential: f.bound, ["ACTIONS_ID_TOKEN_REQUEST_URL": f.idp.tokenRequestURL,
                                                            "ACTIONS_ID_TOKEN_REQUEST_TOKEN": f.idp.requestToken])
        #expect(github.status == 0, "\(github.stderr)")
        #expect(github.stdout.contains("value=\(f.secret)"))
        #expect(f.idp.lastRequestedAudience == f.origin)
        // Elsewhere: SECLAB_OIDC_TOKEN (RS256 and ES256); the child never sees the token.
        for signer in [LocalIdentityProvider.Signer.rsa, .ec] {
            let token = try await f.idp.token(audience: .string(f.origin), signer: signer)
            let result = try await f.run(credential: f.bound, ["SECLAB_OIDC_TOKEN": token])
            #expect(result.status == 0, "\(signer): \(result.stderr)")
            #expect(result.stdout.contains("value=\(f.secret)"))
            #expect(!result.stdout.contains("SECLAB_OIDC_TOKEN") && !result.stdout.contains(token))
        }
        // The token file (a Kubernetes projected token).
        let file = f.server.directory.appendingPathComponent("token.jwt")
        try (try await f.idp.token(audience: .string(f.origin))).write(to: file, atomically: true, encoding: .utf8)
        let fromFile = try await f.run(credential: f.bound, ["SECLAB_OIDC_TOKEN_FILE": file.path])
        #expect(fromFile.status == 0, "\(fromFile.stderr)")
        #expect(!fromFile.stdout.contains("SECLAB_OIDC_TOKEN_FILE"))
    }

    @Test func aBoundSlotRefusesEveryBadToken() async throws {
        let f = try await fixture()
        let audience = Claim.string(f.origin)
        // No token: 123 with the workflow hint.
        let none = try await f.run(credential: f.bound)
        #expect(none.status == 123, "\(none.stderr)")
        #expect(none.stderr.contains("id-token: write") && none.stderr.contains("id_tokens:"), "\(none.stderr)")
        #expect(!none.stdout.contains(f.secret))

        let other = try await LocalIdentityProvider.start()
        let foreignKid = try await other.token(audience: audience, issuer: f.idp.issuer)
        let foreignSignature = try await other.swappedKidToken(audience: audience, labelKid: f.idp.currentRSAKeyID, issuer: f.idp.issuer)
        await other.stop()
        let cases: [(String, String, String)] = [
            ("expired", try await f.idp.token(audience: audience, expiresIn: -600), "oidc_token_expired"),
            ("wrong audience", try await f.idp.token(audience: "https://elsewhere.example"), "oidc_wrong_audience"),
            ("wrong repository", try await f.idp.token(LocalIdentityProvider.githubClaims(repository: "evil/app"), audience: audience),
             "oidc_claim_mismatch"),
            ("wrong ref", try await f.idp.token(LocalIdentityProvider.githubClaims(ref: "refs/heads/feature"), audience: audience),
             "oidc_claim_mismatch"),
            ("alg none", try f.idp.unsignedToken(audience: audience), "oidc_algorithm_refused"),
            ("HS256 with the public key", try await f.idp.hs256WithPublicKey(audience: audience), "oidc_algorithm_refused"),
            ("unconfigured issuer's key", foreignKid, "oidc_unknown_key"),
            ("unconfigured issuer's key under our kid", foreignSignature, "oidc_bad_signature"),
            ("swapped kid", try await f.idp.swappedKidToken(audience: audience, signer: .rsa, labelKid: f.idp.ecKeyID), "oidc_algorithm_refused"),
            ("another issuer", try await f.idp.token(audience: audience, issuer: "http://127.0.0.1:1"), "oidc_issuer_mismatch"),
        ]
        for (name, token, code) in cases {
            let result = try await f.run(credential: f.bound, ["SECLAB_OIDC_TOKEN": token])
            #expect(result.status == 123, "\(name): \(result.stderr)")
            #expect(result.stderr.contains(code), "\(name): \(result.stderr)")
            #expect(!result.stdout.contains(f.secret), "\(name)")
        }
        // The unbound slot of the same vault: unchanged, with or without a token.
        #expect(try await f.run(credential: f.unbound).status == 0)
        #expect(try await f.run(credential: f.unbound, ["SECLAB_OIDC_TOKEN": cases[0].1]).status == 0)
    }

    @Test func keyRotationWorksWithoutRestart() async throws {
        let f = try await fixture()
        let newKid = try f.idp.rotate(retireOld: true)
        let token = try await f.idp.token(audience: .string(f.origin))
        #expect(token.contains(".") && f.idp.currentRSAKeyID == newKid)
        let result = try await f.run(credential: f.bound, ["SECLAB_OIDC_TOKEN": token])
        #expect(result.status == 0, "\(result.stderr)")
    }

    @Test func anIssuerOutageStopsBoundSlotsOnly() async throws {
        let f = try await fixture()
        let token = try await f.idp.token(audience: .string(f.origin))
        f.idp.setDown(true)
        defer { f.idp.setDown(false) }
        let bound = try await f.run(credential: f.bound, ["SECLAB_OIDC_TOKEN": token])
        #expect(bound.status == 124, "\(bound.stderr)")
        #expect(bound.stderr.contains("503") && bound.stderr.contains("identity provider"), "\(bound.stderr)")
        #expect(!bound.stdout.contains(f.secret))
        let unbound = try await f.run(credential: f.unbound)
        #expect(unbound.status == 0, "\(unbound.stderr)")
        #expect(unbound.stdout.contains("value=\(f.secret)"))
    }

    @Test func theAuditShowsVerifiedClaimsAndRefusalsNeverTheToken() async throws {
        let f = try await fixture()
        let token = try await f.idp.token(LocalIdentityProvider.githubClaims(runID: "98765"), audience: .string(f.origin))
        #expect(try await f.run(credential: f.bound, ["SECLAB_OIDC_TOKEN": token]).status == 0)
        let refused = try await f.idp.token(LocalIdentityProvider.githubClaims(repository: "evil/fork"), audience: .string(f.origin))
        #expect(try await f.run(credential: f.bound, ["SECLAB_OIDC_TOKEN": refused]).status == 123)
        // Refusals are counted per window (1 s here): poll.
        var json = ""
        for _ in 0..<60 {
            json = try await f.seclabChecked(["audit", "ci", "--all", "--json"])
            if json.contains("evil\\/fork") || json.contains("evil/fork") { break }
            try await Task.sleep(for: .milliseconds(500))
        }
        let rows = try #require(try JSONSerialization.jsonObject(with: Data(json.utf8)) as? [[String: Any]])
        let verified = rows.filter { ($0["action"] as? String) == "machine.pull" && ($0["outcome"] as? String) == "ok"
            && (($0["detail"] as? String) ?? "").contains("98765") }
        let detail = try #require(verified.first?["detail"] as? String, "\(json)")
        #expect(detail.contains("\"repository\":\"acme/app\"") && detail.contains("\"verified\":true") && detail.contains("\"iss\":\"\(f.idp.issuer)\""))
        let denied = rows.filter { ($0["outcome"] as? String) == "denied" && (($0["detail"] as? String) ?? "").contains("evil/fork") }
        let deniedDetail = try #require(denied.first?["detail"] as? String, "\(json)")
        #expect(deniedDetail.contains("oidc=oidc_claim_mismatch") && deniedDetail.contains("\"verified\":false"))
        // The text output carries the claims too.
        let text = try await f.seclabChecked(["audit", "ci", "--all"])
        #expect(text.contains("98765"))
        // Never the token: not in the database file, not in the server's log.
        let signature = String(token.split(separator: ".").last ?? "")
        #expect(signature.count > 20)
        let persisted = String(decoding: f.server.persistedBytes(), as: UTF8.self)
        #expect(!persisted.contains(signature) && !f.server.log().contains(signature))
        #expect(!persisted.contains(String(refused.split(separator: ".").last ?? "")))
    }
}

/// On PostgreSQL with two replicas: a slot bound through one replica is enforced by
/// both (the policy lives in the database, the verifier in each replica).
@Suite(.serialized, .enabled(if: PostgresTestDatabase.clusterURL != nil, Comment(rawValue: PostgresTestDatabase.skipReason)))
struct OIDCBindingReplicaTests {
    @Test func eitherReplicaEnforcesThePolicy() async throws {
        let f = try await OIDCFixture.replicated.value
        #expect(f.replicas.count == 2 && f.replicas[0].baseURL != f.replicas[1].baseURL)
        for replica in 0..<2 {
            // The audience is the origin the owner's CLI bound (replica 0's); SECLAB_OIDC_AUDIENCE
            // is what a job behind a load balancer would set.
            let audience = f.replicas[0].baseURL
            let good = try await f.idp.token(audience: .string(audience))
            let pulled = try await f.run(credential: f.bound, ["SECLAB_OIDC_TOKEN": good], via: replica)
            #expect(pulled.status == 0, "replica \(replica): \(pulled.stderr)")
            #expect(pulled.stdout.contains("value=\(f.secret)"))
            let none = try await f.run(credential: f.bound, via: replica)
            #expect(none.status == 123 && none.stderr.contains("id-token: write"), "replica \(replica): \(none.stderr)")
            let fork = try await f.idp.token(LocalIdentityProvider.githubClaims(repository: "evil/app"), audience: .string(audience))
            let refused = try await f.run(credential: f.bound, ["SECLAB_OIDC_TOKEN": fork], via: replica)
            #expect(refused.status == 123 && refused.stderr.contains("oidc_claim_mismatch"), "replica \(replica): \(refused.stderr)")
            #expect(try await f.run(credential: f.unbound, via: replica).status == 0)
        }
    }
}
