import AsyncHTTPClient
import Foundation
import NIOCore
import NIOHTTP1
@testable import SeclabOIDC
import SeclabOIDCTestSupport
import Testing

/// `TokenVerifier` against a real identity provider on loopback, with real tokens.
@Suite struct VerifierTests {
    static let audience = "https://seclab.example:8443"

    /// One provider, a verifier trusting it, and a policy for acme/app on main.
    struct World {
        let idp: LocalIdentityProvider
        let fetcher: MetadataFetcher
        let verifier: TokenVerifier
        let policy: BindingPolicy

        static func make(claims: [String] = ["repository=acme/*", "ref=refs/heads/main"],
                         cache: KeyCachePolicy = KeyCachePolicy()) async throws -> World {
            let idp = try await LocalIdentityProvider.start()
            let fetcher = MetadataFetcher(deadlineSeconds: 30)
            let verifier = TokenVerifier(issuers: [try IssuerURL(idp.issuer)], fetcher: fetcher, cachePolicy: cache)
            let policy = try BindingPolicy(issuer: idp.issuer, audience: VerifierTests.audience,
                                           claims: claims.map { try ClaimPattern(parsing: $0) })
            return World(idp: idp, fetcher: fetcher, verifier: verifier, policy: policy)
        }

        func close() async {
            await idp.stop()
            try? await fetcher.shutdown()
        }

        func refusal(_ token: String?, policy: BindingPolicy? = nil, now: Double = Date().timeIntervalSince1970) async -> OIDCError? {
            do {
                _ = try await verifier.verify(token, policy: policy ?? self.policy, now: now)
                return nil
            } catch { return error }
        }
    }

    @Test func matchingTokensPassWithBothAlgorithmsAndTheAuditKeepsTheirClaims() async throws {
        let world = try await World.make()
        defer { Task { await world.close() } }
        for signer in [LocalIdentityProvider.Signer.rsa, .ec] {
            let token = try await world.idp.token(audience: .string(Self.audience), signer: signer)
            let claims = try await world.verifier.verify(token, policy: world.policy)
            #expect(claims.verified)
            #expect(claims.issuer == world.idp.issuer)
            #expect(claims.subject == "repo:acme/app:environment:production")
            #expect(claims.repository == "acme/app")
            #expect(claims.ref == "refs/heads/main")
            #expect(claims.environment == "production")
            #expect(claims.runID == "4242")
            #expect(claims.actor == "octocat")
            #expect(claims.workflow == "deploy")
            #expect(!claims.auditText.contains(token))
            #expect(claims.auditText.contains(#""repository":"acme/app""#))
        }
        // An audience given as a one-element list is the same audience.
        let listed = try await world.idp.token(audience: .strings([Self.audience]))
        #expect(await world.refusal(listed) == nil)
    }

    @Test func gitlabClaimsAreAuditedUnderTheSameNames() async throws {
        let world = try await World.make(claims: ["project_path=acme/app", "ref_protected=true"])
        defer { Task { await world.close() } }
        let token = try await world.idp.token(LocalIdentityProvider.gitlabClaims(), audience: .string(Self.audience), signer: .ec)
        let claims = try await world.verifier.verify(token, policy: world.policy)
        #expect(claims.repository == "acme/app" && claims.runID == "777" && claims.actor == "tanuki" && claims.workflow == "31337")
        #expect(claims.ref == "main" && claims.environment == nil)
    }

    @Test func forgedAndMisdirectedTokensAreRefusedWithTheirReason() async throws {
        let world = try await World.make()
        defer { Task { await world.close() } }
        let other = try await LocalIdentityProvider.start()
        defer { Task { await other.stop() } }
        let audience = Claim.string(Self.audience)
        let idp = world.idp

        #expect(await world.refusal(nil) == .missingToken)
        #expect(await world.refusal("") == .missingToken)
        #expect(await world.refusal("not-a-token")?.code == "oidc_token_malformed")
        #expect(await world.refusal(try idp.unsignedToken(audience: audience)) == .algorithmRefused("none"))
        #expect(await world.refusal(try await idp.hs256WithPublicKey(audience: audience)) == .algorithmRefused("HS256"))
        // Another issuer's key, claiming to be this issuer: its kid is not in this issuer's set.
        let foreign = try await other.token(audience: audience, issuer: idp.issuer)
        #expect(await world.refusal(foreign) == .unknownKey(other.currentRSAKeyID))
        // The same, labelled with this issuer's kid: the signature does not verify.
        let relabelled = try await other.swappedKidToken(audience: audience, labelKid: idp.currentRSAKeyID, issuer: idp.issuer)
        #expect(await world.refusal(relabelled) == .badSignature)
        // A token of the other issuer as it is: not the slot's issuer.
        #expect(await world.refusal(try await other.token(audience: audience)) == .issuerMismatch)
        // RS256 labelled with the EC key's kid: the key's type does not fit the algorithm.
        let swappedType = try await idp.swappedKidToken(audience: audience, signer: .rsa, labelKid: idp.ecKeyID)
        #expect(await world.refusal(swappedType)?.code == "oidc_algorithm_refused")
        // Two RSA keys published, signed with the new one and labelled with the old one.
        let oldKid = idp.currentRSAKeyID
        try idp.rotate()
        let swapped = try await idp.swappedKidToken(audience: audience, labelKid: oldKid)
        #expect(await world.refusal(swapped) == .badSignature)
        // Times: 60 s of leeway, no more.
        let now = Date().timeIntervalSince1970
        #expect(await world.refusal(try await idp.token(audience: audience, expiresIn: -20)) == nil)
        #expect(await world.refusal(try await idp.token(audience: audience, expiresIn: -200)) == .expired)
        let fresh = try await idp.token(audience: audience, expiresIn: 300)
        #expect(await world.refusal(fresh, now: now + 300 + 200) == .expired)
        #expect(await world.refusal(try await idp.token(audience: audience, notBeforeOffset: 600)) == .notYetValid)
        // Audience: exactly the slot's.
        #expect(await world.refusal(try await idp.token(audience: "https://other.example")) == .wrongAudience)
        #expect(await world.refusal(try await idp.token(audience: .strings([Self.audience, "https://other.example"]))) == .wrongAudience)
        // Byte-equal: a canonically equivalent but different spelling is another audience.
        let accented = try BindingPolicy(issuer: idp.issuer, audience: "caf\u{E9}", claims: world.policy.claims)
        #expect(await world.refusal(try await idp.token(audience: "cafe\u{301}"), policy: accented) == .wrongAudience)
        #expect(await world.refusal(try await idp.token(audience: "caf\u{E9}"), policy: accented) == nil)
        // Claims: the wrong repository, the wrong ref, a missing claim.
        let wrongRepository = try await idp.token(LocalIdentityProvider.githubClaims(repository: "evil/app"), audience: audience)
        #expect(await world.refusal(wrongRepository) == .claimMismatch("repository"))
        let wrongRef = try await idp.token(LocalIdentityProvider.githubClaims(ref: "refs/heads/feature"), audience: audience)
        #expect(await world.refusal(wrongRef) == .claimMismatch("ref"))
        var missing = LocalIdentityProvider.githubClaims()
        missing["ref"] = nil
        #expect(await world.refusal(try await idp.token(missing, audience: audience)) == .claimMismatch("ref"))
        // A slot bound to an issuer this server does not trust.
        let untrusted = try BindingPolicy(issuer: other.issuer, audience: Self.audience, claims: [try ClaimPattern(parsing: "repository=acme/*")])
        #expect(await world.refusal(try await other.token(audience: audience), policy: untrusted) == .issuerNotTrusted(other.issuer))
    }

    @Test func rotationIsPickedUpAndUnknownKidsRefreshAtMostOncePerInterval() async throws {
        let world = try await World.make()
        defer { Task { await world.close() } }
        let idp = world.idp
        idp.setCacheMaxAge(3600)
        let audience = Claim.string(Self.audience)
        #expect(await world.refusal(try await idp.token(audience: audience)) == nil)
        #expect(idp.fetchCounts.keySet == 1)
        // Cached for an hour: no fetch for the next token.
        #expect(await world.refusal(try await idp.token(audience: audience)) == nil)
        #expect(idp.fetchCounts.keySet == 1)
        // Rotation: the new kid is unknown, one refresh finds it; no restart.
        let newKid = try idp.rotate(retireOld: true)
        let rotated = try await idp.token(audience: audience)
        #expect(await world.refusal(rotated) == nil)
        #expect(idp.fetchCounts.keySet == 2)
        // Within the minute, another unknown kid is refused without asking the issuer again.
        let other = try await LocalIdentityProvider.start()
        defer { Task { await other.stop() } }
        let foreign = try await other.token(audience: audience, issuer: idp.issuer)
        #expect(await world.refusal(foreign) == .unknownKey(other.currentRSAKeyID))
        #expect(idp.fetchCounts.keySet == 2)
        // A minute later (the clock is a parameter), it may ask once more.
        let later = Date().timeIntervalSince1970 + 61
        #expect(await world.refusal(foreign, now: later) == .unknownKey(other.currentRSAKeyID))
        #expect(idp.fetchCounts.keySet == 3)
        #expect(newKid == idp.currentRSAKeyID)
    }

    @Test func cacheControlIsHonouredUpToADay() async throws {
        let world = try await World.make()
        defer { Task { await world.close() } }
        let idp = world.idp
        let token = try await idp.token(audience: .string(Self.audience), expiresIn: 3600)
        let now = Date().timeIntervalSince1970
        // max-age=0: every verification fetches.
        idp.setCacheMaxAge(0)
        _ = await world.refusal(token, now: now)
        _ = await world.refusal(token, now: now)
        #expect(idp.fetchCounts.keySet == 2)
        // max-age above a day is capped at a day.
        idp.setCacheMaxAge(10 * 86_400)
        _ = await world.refusal(token, now: now + 1)
        _ = await world.refusal(token, now: now + 86_000)
        #expect(idp.fetchCounts.keySet == 3)
        #expect(await world.refusal(token, now: now + 1 + 86_401) == .expired)
        #expect(idp.fetchCounts.keySet == 4)
        #expect(CacheControl.maxAge(["public, max-age=120"]) == 120)
        #expect(CacheControl.maxAge(["max-age=60, no-cache"]) == 0)
        #expect(CacheControl.maxAge(["no-store"]) == 0)
        #expect(CacheControl.maxAge([]) == nil)
        #expect(CacheControl.maxAge(["max-age=-5"]) == nil)
    }

    /// The server's verified-token cache: a token that passed a policy is accepted for that
    /// policy again without the issuer (here: down) for at most 60 s and never past its `exp`;
    /// another policy, or another token, is checked in full.
    @Test func aVerifiedTokenIsTrustedAgainBrieflyForTheSamePolicyOnly() async throws {
        let idp = try await LocalIdentityProvider.start()
        let fetcher = MetadataFetcher(deadlineSeconds: 10)
        defer { Task { await idp.stop(); try? await fetcher.shutdown() } }
        idp.setCacheMaxAge(0)  // every full check fetches the key set: an outage shows at once
        let verifier = TokenVerifier(issuers: [try IssuerURL(idp.issuer)], fetcher: fetcher, verifiedTokenSeconds: 60)
        let policy = try BindingPolicy(issuer: idp.issuer, audience: Self.audience, claims: [try ClaimPattern(parsing: "repository=acme/*")])
        let other = try BindingPolicy(issuer: idp.issuer, audience: Self.audience, claims: [try ClaimPattern(parsing: "repository=acme/app")])
        let now = Date().timeIntervalSince1970
        let token = try await idp.token(audience: .string(Self.audience), expiresIn: 300)
        let first = try await verifier.verify(token, policy: policy, now: now)
        idp.setDown(true)
        // Same token, same policy, 30 s later: trusted without the issuer.
        #expect(try await verifier.verify(token, policy: policy, now: now + 30) == first)
        #expect(verifier.recentlyVerified(token, policyText: policy.storageText, now: now + 30) == first)
        // Past 60 s, another policy, or another token: a full check, which needs the issuer.
        for (candidate, againstPolicy, at) in [(token, policy, now + 61), (token, other, now + 1),
                                              (try await idp.token(audience: .string(Self.audience)), policy, now + 1)] {
            do {
                _ = try await verifier.verify(candidate, policy: againstPolicy, now: at)
                Issue.record("verified without the issuer")
            } catch { #expect(error.isUnavailable, "\(error)") }
        }
        idp.setDown(false)
        // Never past the token's own exp: a 20 s token verified now is checked in full at +25 s
        // (and refused there only if beyond exp + leeway, as any token).
        let minted = Date().timeIntervalSince1970.rounded(.down)  // the provider's clock, in whole seconds
        let short = try await idp.token(audience: .string(Self.audience), expiresIn: 20)
        _ = try await verifier.verify(short, policy: policy, now: minted)
        #expect(verifier.recentlyVerified(short, policyText: policy.storageText, now: minted + 10) != nil)
        #expect(verifier.recentlyVerified(short, policyText: policy.storageText, now: minted + 25) == nil)
    }

    @Test func anIssuerThatIsDownIsUnavailableNotARefusalAndRecovers() async throws {
        let world = try await World.make()
        defer { Task { await world.close() } }
        let idp = world.idp
        let token = try await idp.token(audience: .string(Self.audience))
        idp.setDown(true)
        let down = await world.refusal(token)
        #expect(down?.isUnavailable == true)
        #expect(down?.code == "oidc_issuer_unavailable")
        idp.setDown(false)
        #expect(await world.refusal(token) == nil)
        // Stopped altogether (connection refused): unavailable as well.
        await idp.stop()
        #expect(await world.refusal(token)?.isUnavailable == true)
    }

    @Test func refusedTokensYieldTheirClaimsMarkedUnverified() async throws {
        let idp = try await LocalIdentityProvider.start()
        defer { Task { await idp.stop() } }
        let token = try idp.unsignedToken(LocalIdentityProvider.githubClaims(repository: "evil/app"), audience: "x")
        let claimed = try #require(AuditedClaims.unverified(token: token))
        #expect(!claimed.verified)
        #expect(claimed.repository == "evil/app")
        #expect(claimed.auditText.contains(#""verified":false"#))
        #expect(AuditedClaims.unverified(token: "garbage") == nil)
        // Hostile lengths are clipped in the audit.
        let long = try idp.unsignedToken(LocalIdentityProvider.githubClaims(repository: String(repeating: "a", count: 1000)), audience: "x")
        let clipped = AuditedClaims.unverified(token: long)?.repository ?? ""
        #expect(clipped.hasPrefix("aaaa") && clipped.utf8.count <= 210)
        // Beyond the size limit, nothing is parsed at all.
        let huge = try idp.unsignedToken(LocalIdentityProvider.githubClaims(repository: String(repeating: "a", count: 5000)), audience: "x")
        let hugeClaims = AuditedClaims.unverified(token: huge)
        #expect(hugeClaims == nil)
    }

    @Test func theTokenEndpointChecksTheRequestTokenAndAudience() async throws {
        let idp = try await LocalIdentityProvider.start()
        defer { Task { await idp.stop() } }
        let client = HTTPClient(eventLoopGroupProvider: .singleton)
        defer { Task { try? await client.shutdown() } }
        func get(_ url: String, bearer: String?) async throws -> (UInt, String) {
            var request = HTTPClientRequest(url: url)
            if let bearer { request.headers.add(name: "Authorization", value: "Bearer \(bearer)") }
            let response = try await client.execute(request, timeout: .seconds(30))
            let body = try await response.body.collect(upTo: 1 << 20)
            return (response.status.code, String(buffer: body))
        }
        let url = idp.tokenRequestURL + "&audience=" + Self.audience.addingPercentEncoding(withAllowedCharacters: .alphanumerics)!
        #expect(try await get(url, bearer: nil).0 == 401)
        #expect(try await get(url, bearer: "wrong").0 == 401)
        #expect(try await get(idp.tokenRequestURL, bearer: idp.requestToken).0 == 400)
        let (status, body) = try await get(url, bearer: idp.requestToken)
        #expect(status == 200)
        #expect(idp.lastRequestedAudience == Self.audience)
        let value = try #require((try JSONSerialization.jsonObject(with: Data(body.utf8)) as? [String: Any])?["value"] as? String)
        // The token it hands out verifies for that audience.
        let fetcher = MetadataFetcher(deadlineSeconds: 30)
        let verifier = TokenVerifier(issuers: [try IssuerURL(idp.issuer)], fetcher: fetcher)
        let policy = try BindingPolicy(issuer: idp.issuer, audience: Self.audience, claims: [try ClaimPattern(parsing: "repository=acme/app")])
        #expect(try await verifier.verify(value, policy: policy).repository == "acme/app")
        try await fetcher.shutdown()
    }
}
