import JWTKit
#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif

/// Checks a CI identity token against a bound slot's policy.
///
/// Order, cheapest and least trusting first: shape; header (`alg` RS256/ES256 only, no `crit`,
/// a `kid`); `iss` byte-equal to the slot's issuer, which must be one the server trusts (so
/// only that issuer's keys are ever tried: another issuer's key, or an HS256 "signature" made
/// with a public key, has no key to verify under); the key the `kid` names, of the type the
/// `alg` needs; the signature, by jwt-kit; then `exp`/`nbf` with a 60 s leeway, `aud` exactly
/// the slot's audience, and every bound claim. Binding is access control only: the
/// credential still holds the keys (docs/security.md, "CI identity binding").
public final class TokenVerifier: Sendable {
    /// Clock skew tolerated on `exp`, `nbf` and `iat`.
    public static let leewaySeconds: Double = 60

    private let issuers: [String: IssuerKeys]
    private let verified: VerifiedTokens

    /// A verifier trusting `issuers`, fetching their keys with `fetcher`. With
    /// `verifiedTokenSeconds` > 0, a token that passed every check of a policy is accepted for
    /// that policy again without a signature check for that long (never past its `exp`; see
    /// `VerifiedTokens`). Off by default; the server turns it on.
    public init(issuers: [IssuerURL], fetcher: MetadataFetcher, cachePolicy: KeyCachePolicy = KeyCachePolicy(),
                verifiedTokenSeconds: Double = 0) {
        var table: [String: IssuerKeys] = [:]
        for issuer in issuers { table[issuer.text] = IssuerKeys(issuer: issuer, fetcher: fetcher, policy: cachePolicy) }
        self.issuers = table
        self.verified = VerifiedTokens(maxAge: verifiedTokenSeconds)
    }

    /// The claims of `token` if it passed every check of the policy stored as `policyText`
    /// recently (see `VerifiedTokens`); nil otherwise, and always when the cache is off. Lets a
    /// pull skip even parsing its policy.
    public func recentlyVerified(_ token: String, policyText: String, now: Double? = nil) -> AuditedClaims? {
        verified.lookup(VerifiedTokens.key(token, policy: policyText), now: now ?? Date().timeIntervalSince1970)
    }

    /// Whether `issuer` (exact text) is configured; the server refuses to bind a slot to any other.
    public func trusts(_ issuer: String) -> Bool { issuers[issuer] != nil }

    /// The configured issuers, sorted.
    public var trustedIssuers: [String] { issuers.keys.sorted() }

    /// Verify `token` for a slot bound by `policy`; returns the claims its audit row keeps.
    /// `now` is seconds since 1970, the current time when nil (a parameter so tests can place
    /// it around the leeway and the cache times).
    /// `policyText`, when given, is the policy's stored text (the server has it at hand; it keys
    /// the verified-token cache without encoding the policy again).
    public func verify(_ token: String?, policy: BindingPolicy, policyText: String? = nil,
                       now: Double? = nil) async throws(OIDCError) -> AuditedClaims {
        let now = now ?? Date().timeIntervalSince1970
        guard let token, !token.isEmpty else { throw .missingToken }
        let cacheKey = VerifiedTokens.key(token, policy: policyText ?? policy.storageText)
        if let claims = verified.lookup(cacheKey, now: now) { return claims }
        let parts = try CompactJWS(token)
        let kind: VerificationKey.Kind
        switch parts.algorithm {
        case "RS256": kind = .rs256
        case "ES256": kind = .es256
        case let other: throw .algorithmRefused(other ?? "(none given)")
        }
        guard !parts.hasCritical else { throw .criticalHeader }
        guard let kid = parts.keyID, !kid.isEmpty else { throw .unknownKey("(none given)") }
        // Byte-equal, not Swift's `==` (canonical equivalence would equate different byte strings).
        guard case let .string(issuer)? = parts.claims.values["iss"], issuer.utf8.elementsEqual(policy.issuer.utf8) else {
            throw .issuerMismatch
        }
        guard let keys = issuers[policy.issuer] else { throw .issuerNotTrusted(policy.issuer) }
        let key = try await keys.key(kid, kind: kind, now: now)

        let claims: ClaimSet
        do {
            claims = try await key.collection.verify(token, as: ClaimSet.self)
        } catch let error as JWTError where error.errorType == .signatureVerificationFailed {
            throw .badSignature
        } catch {
            throw .malformedToken("jwt-kit: \(error)")
        }

        try Self.checkTimes(claims, now: now)
        guard let audiences = claims.audiences, !audiences.isEmpty, audiences.allSatisfy({ $0.utf8.elementsEqual(policy.audience.utf8) }) else {
            throw .wrongAudience
        }
        if let key = policy.firstMismatch(in: claims) { throw .claimMismatch(key) }
        let audited = AuditedClaims(claims, verified: true)
        if let expires = claims.number("exp") { verified.store(cacheKey, claims: audited, expires: expires, now: now) }
        return audited
    }

    /// `exp` is required; `nbf` and `iat` may not be in the future beyond the leeway.
    static func checkTimes(_ claims: ClaimSet, now: Double) throws(OIDCError) {
        guard let expires = claims.number("exp") else { throw .expired }
        guard now <= expires + leewaySeconds else { throw .expired }
        if let notBefore = claims.number("nbf"), now < notBefore - leewaySeconds { throw .notYetValid }
        if let issuedAt = claims.number("iat"), now < issuedAt - leewaySeconds { throw .notYetValid }
    }
}
