import Dispatch
import Foundation
import SeclabHTTP
import SeclabOIDCTestSupport
@testable import SeclabRun
import Testing

/// seclab-run's side of CI identity binding: finding the job's token and the audience, against a real
/// GitHub-style token endpoint on loopback, with the real libcurl client.
@Suite struct CIIdentityTokenTests {
    @Test func theAudienceIsTheServersOriginUnlessOverridden() {
        #expect(ServerURL.origin("https://Seclab.Example.com") == "https://seclab.example.com")
        #expect(ServerURL.origin("https://seclab.example.com/") == "https://seclab.example.com")
        #expect(ServerURL.origin("https://seclab.example.com:443/api?x=1") == "https://seclab.example.com")
        #expect(ServerURL.origin("https://seclab.example.com:8443/") == "https://seclab.example.com:8443")
        #expect(ServerURL.origin("http://127.0.0.1:8080") == "http://127.0.0.1:8080")
        #expect(ServerURL.origin("http://127.0.0.1:80") == "http://127.0.0.1")
        #expect(ServerURL.origin("https://user@seclab.example.com:9/") == "https://seclab.example.com:9")
        #expect(ServerURL.origin("https://[::1]:8443/") == "https://[::1]:8443")
        #expect(ServerURL.origin("ftp://x") == nil)
        #expect(ServerURL.origin("https://x:80a") == nil)
        #expect(CIIdentityToken.audience(server: "https://s.example:8443/", environment: [:]) == "https://s.example:8443")
        #expect(CIIdentityToken.audience(server: "https://s.example", environment: ["SECLAB_OIDC_AUDIENCE": "seclab"]) == "seclab")
    }

    /// Run the blocking libcurl client off the cooperative pool (the provider answers on it).
    func acquire(_ environment: [String: String], server: String = "https://seclab.example:8443") async -> Result<CIIdentityToken.Token?, RunFailure> {
        await withCheckedContinuation { continuation in
            DispatchQueue.global().async {
                let result: Result<CIIdentityToken.Token?, RunFailure>
                do {
                    var options = HTTPClientOptions()
                    options.totalTimeout = 30
                    let client = try HTTPClient(options: options)
                    result = .success(try CIIdentityToken.acquire(server: server, environment: environment,
                                                                  send: { request throws(HTTPError) in try client.send(request) },
                                                                  readFile: { try? String(contentsOfFile: $0, encoding: .utf8) }))
                } catch let failure as RunFailure {
                    result = .failure(failure)
                } catch {
                    result = .failure(RunFailure(1, "\(error)"))
                }
                continuation.resume(returning: result)
            }
        }
    }

    @Test func inGitHubActionsItRequestsATokenForTheServersOrigin() async throws {
        let idp = try await LocalIdentityProvider.start()
        defer { Task { await idp.stop() } }
        let environment = ["ACTIONS_ID_TOKEN_REQUEST_URL": idp.tokenRequestURL, "ACTIONS_ID_TOKEN_REQUEST_TOKEN": idp.requestToken,
                           "SECLAB_OIDC_TOKEN": "ignored.when.github"]
        let token = try #require(try await acquire(environment).get())
        #expect(token.source == .github)
        #expect(token.value.split(separator: ".").count == 3)
        #expect(idp.lastRequestedAudience == "https://seclab.example:8443")
        // An explicit audience is what is asked for.
        var overridden = environment
        overridden["SECLAB_OIDC_AUDIENCE"] = "https://seclab.example/ci?x=a b"
        _ = try await acquire(overridden).get()
        #expect(idp.lastRequestedAudience == "https://seclab.example/ci?x=a b")
        // A wrong request token: refused (123) with the workflow hint.
        var wrong = environment
        wrong["ACTIONS_ID_TOKEN_REQUEST_TOKEN"] = "stolen"
        guard case let .failure(failure) = await acquire(wrong) else { Issue.record("a wrong request token was accepted"); return }
        #expect(failure.code == RunExitCode.refused)
        #expect(failure.hint?.contains("id-token: write") == true)
    }

    @Test func elsewhereItReadsTheVariableOrTheFile() async throws {
        let jwt = "eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJ4In0.c2ln"
        let fromVariable = try #require(try await acquire(["SECLAB_OIDC_TOKEN": jwt]).get())
        #expect(fromVariable.value == jwt && fromVariable.source == .variable)
        let file = FileManager.default.temporaryDirectory.appendingPathComponent("seclab-oidc-\(getpid()).jwt")
        try (jwt + "\n").write(to: file, atomically: true, encoding: .utf8)
        defer { try? FileManager.default.removeItem(at: file) }
        let fromFile = try #require(try await acquire(["SECLAB_OIDC_TOKEN_FILE": file.path]).get())
        #expect(fromFile.value == jwt && fromFile.source == .file)
        // Nothing configured: no token (an unbound slot pulls as before).
        #expect(try await acquire([:]).get() == nil)
        // Something that is not a JWT is never sent.
        guard case let .failure(notJWT) = await acquire(["SECLAB_OIDC_TOKEN": "slmk2_secret"]) else { Issue.record("accepted"); return }
        #expect(notJWT.code == RunExitCode.failure)
        guard case .failure = await acquire(["SECLAB_OIDC_TOKEN_FILE": "/nonexistent/token"]) else { Issue.record("accepted"); return }
        #expect(CIIdentityToken.removedFromChild == ["SECLAB_OIDC_TOKEN", "SECLAB_OIDC_TOKEN_FILE", "SECLAB_OIDC_AUDIENCE"])
    }
}
