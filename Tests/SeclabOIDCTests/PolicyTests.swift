import Foundation
import SeclabOIDC
import Testing

/// Binding policies, claim patterns and issuer URLs, without the network.
@Suite struct PolicyTests {
    func pattern(_ text: String) throws -> ClaimPattern { try ClaimPattern(parsing: text) }

    @Test func exactPatternsMatchOnlyThemselves() throws {
        let ref = try pattern("ref=refs/heads/main")
        #expect(ref.key == "ref" && ref.pattern == "refs/heads/main")
        #expect(ref.matches("refs/heads/main"))
        #expect(!ref.matches("refs/heads/main2"))
        #expect(!ref.matches("refs/heads/Main"))
        #expect(!ref.matches("xrefs/heads/main"))
        #expect(!ref.matches(""))
    }

    @Test func oneStarIsOneSegmentAndNeverEmpty() throws {
        let repository = try pattern("repository=acme/*")
        #expect(repository.matches("acme/app"))
        #expect(repository.matches("acme/app-2"))
        #expect(!repository.matches("acme/"))
        #expect(!repository.matches("acme/app/x"))
        #expect(!repository.matches("acmex/app"))
        #expect(!repository.matches("evil/acme/app"))
        let sub = try pattern("sub=repo:acme/*:ref:refs/heads/main")
        #expect(sub.matches("repo:acme/app:ref:refs/heads/main"))
        #expect(!sub.matches("repo:acme/app:ref:refs/heads/dev"))
        #expect(!sub.matches("repo:evil/app:ref:refs/heads/main"))
    }

    @Test func twoStarsSpanSeveralSegments() throws {
        let ref = try pattern("ref=refs/heads/release/**")
        #expect(ref.matches("refs/heads/release/1.0"))
        #expect(ref.matches("refs/heads/release/1.x/hotfix"))
        #expect(!ref.matches("refs/heads/release/"))
        #expect(!ref.matches("refs/heads/releases/1.0"))
        let middle = try pattern("job_workflow_ref=acme/**/deploy.yml@refs/heads/main")
        #expect(middle.matches("acme/app/.github/workflows/deploy.yml@refs/heads/main"))
        #expect(!middle.matches("acme/app/.github/workflows/deploy.yml@refs/heads/dev"))
    }

    @Test func hostileValuesAreMatchedInLinearTime() throws {
        let many = try pattern("sub=*a*a*a*a*a*a*a*a*a*a*b")
        let value = String(repeating: "a", count: 4000)
        #expect(!many.matches(value))
    }

    @Test func badPatternsAreRefusedAtCreation() {
        for text in ["noequals", "=value", "aud=https://x", "exp=1", "nbf=1", "iat=1", "ref=", "ref=a***b", "re f=x", "ref=a\u{7}b"] {
            #expect(throws: OIDCError.self, "\(text)") { try ClaimPattern(parsing: text) }
        }
        // The first '=' separates: a pattern may contain '='.
        #expect((try? ClaimPattern(parsing: "ref=a=b"))?.pattern == "a=b")
    }

    @Test func aPolicyNeedsAClaimBesidesTheAudience() throws {
        #expect(throws: OIDCError.self) {
            try BindingPolicy(issuer: "https://token.actions.githubusercontent.com", audience: "https://seclab.example", claims: [])
        }
        let claim = try pattern("repository=acme/app")
        #expect(throws: OIDCError.self) {
            try BindingPolicy(issuer: "https://token.actions.githubusercontent.com", audience: "https://seclab.example", claims: [claim, claim])
        }
        #expect(throws: OIDCError.self) {
            try BindingPolicy(issuer: "http://token.actions.githubusercontent.com", audience: "https://seclab.example", claims: [claim])
        }
        #expect(throws: OIDCError.self) {
            try BindingPolicy(issuer: "https://token.actions.githubusercontent.com", audience: "", claims: [claim])
        }
    }

    @Test func storageTextRoundTripsAndIsCheckedWhenRead() throws {
        let policy = try BindingPolicy(issuer: "https://token.actions.githubusercontent.com", audience: "https://seclab.example:8443",
                                       claims: [pattern("repository=acme/*"), pattern("ref=refs/heads/main"), pattern("environment=production")])
        let text = policy.storageText
        #expect(text == #"{"audience":"https://seclab.example:8443","claims":[{"key":"repository","pattern":"acme/*"},{"key":"ref","pattern":"refs/heads/main"},{"key":"environment","pattern":"production"}],"issuer":"https://token.actions.githubusercontent.com","v":1}"#)
        #expect(try BindingPolicy(storageText: text) == policy)
        #expect(policy.description == "issuer=https://token.actions.githubusercontent.com audience=https://seclab.example:8443 repository=acme/* ref=refs/heads/main environment=production")
        // A damaged row binds to nothing weaker: it is refused.
        for damaged in [text.replacingOccurrences(of: #""v":1"#, with: #""v":2"#),
                        text.replacingOccurrences(of: #"{"key":"repository","pattern":"acme/*"},{"key":"ref","pattern":"refs/heads/main"},{"key":"environment","pattern":"production"}"#, with: ""),
                        text.replacingOccurrences(of: "https://token", with: "http://token"),
                        "{", ""] {
            #expect(throws: OIDCError.self, "\(damaged)") { try BindingPolicy(storageText: damaged) }
        }
    }

    @Test func issuersMustBeHTTPSExceptOnLoopback() throws {
        #expect(try IssuerURL("https://token.actions.githubusercontent.com").discoveryURL
                == "https://token.actions.githubusercontent.com/.well-known/openid-configuration")
        #expect(try IssuerURL("https://gitlab.example.com/").discoveryURL == "https://gitlab.example.com/.well-known/openid-configuration")
        #expect(try IssuerURL("https://gitlab.example.com/").text == "https://gitlab.example.com/")
        #expect(try IssuerURL("http://127.0.0.1:8080").isLoopback)
        #expect(try IssuerURL("http://localhost:9000/idp").isLoopback)
        #expect(try IssuerURL("http://[::1]:9000").isLoopback)
        for bad in ["http://token.actions.githubusercontent.com", "ftp://x", "https://x/?q=1", "https://x/#f", "https://u:p@x", "x", "",
                    "http://127.0.0.1.evil.com", "http://10.0.0.1"] {
            #expect(throws: OIDCError.self, "\(bad)") { try IssuerURL(bad) }
        }
        let list = try IssuerURL.list(" https://a.example , https://b.example/x ,,")
        #expect(list.map(\.text) == ["https://a.example", "https://b.example/x"])
        #expect(throws: OIDCError.self) { try IssuerURL.list("https://a.example,http://b.example") }
    }

    @Test func errorsHaveStableCodesAndSayWhatToDo() {
        #expect(OIDCError.missingToken.code == "oidc_token_missing")
        #expect(OIDCError.missingToken.description.contains("id-token: write"))
        #expect(OIDCError.missingToken.description.contains("id_tokens:"))
        #expect(OIDCError.issuerUnavailable("x").isUnavailable)
        #expect(!OIDCError.badSignature.isUnavailable)
    }
}
