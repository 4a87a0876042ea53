#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif

/// What a bound machine slot demands of the CI job that pulls with it.
///
/// Fixed when the slot is created and stored beside it; changing it means a new credential.
/// Every claim must match. At least one claim is required besides the audience: a policy
/// naming only an issuer would admit every repository that issuer serves.
public struct BindingPolicy: Sendable, Hashable, CustomStringConvertible {
    /// The issuer, byte-equal to the token's `iss` and to one of the server's `--oidc-issuer`s.
    public let issuer: String
    /// The only accepted `aud` (the CLI fills in the server's origin when the owner names none).
    public let audience: String
    /// The claims that must match, in the order given.
    public let claims: [ClaimPattern]

    /// Most claims one policy may name.
    static let maxClaims = 16

    /// Check a policy as the owner's CLI sends it.
    public init(issuer: String, audience: String, claims: [ClaimPattern]) throws(OIDCError) {
        _ = try IssuerURL(issuer)
        guard !audience.isEmpty, audience.utf8.count <= 512, audience.utf8.allSatisfy({ $0 >= 0x20 && $0 != 0x7F }) else {
            throw .invalidConfiguration("OIDC audience must be 1 to 512 characters without control characters")
        }
        guard !claims.isEmpty else {
            throw .invalidConfiguration("an OIDC binding needs at least one --oidc-claim KEY=PATTERN besides the audience (an issuer alone admits every repository it serves), e.g. repository=acme/app")
        }
        guard claims.count <= Self.maxClaims else {
            throw .invalidConfiguration("an OIDC binding may name at most \(Self.maxClaims) claims")
        }
        guard Set(claims.map(\.key)).count == claims.count else {
            throw .invalidConfiguration("an OIDC binding names the same claim twice; give each claim once")
        }
        self.issuer = issuer
        self.audience = audience
        self.claims = claims
    }

    /// The first claim the token's claims do not satisfy, or nil when all match.
    public func firstMismatch(in claims: ClaimSet) -> String? {
        for claim in self.claims {
            guard let value = claims.text(claim.key), claim.matches(value) else { return claim.key }
        }
        return nil
    }

    /// `issuer=… audience=… KEY=PATTERN …`, for listings and logs.
    public var description: String {
        (["issuer=\(issuer)", "audience=\(audience)"] + claims.map(\.description)).joined(separator: " ")
    }

    // MARK: storage text

    private struct Stored: Codable {
        var v: Int
        var issuer: String
        var audience: String
        var claims: [ClaimPattern]
    }

    /// The canonical text stored with the slot and shown by the API: JSON with sorted keys,
    /// `{"audience":…,"claims":[{"key":…,"pattern":…},…],"issuer":…,"v":1}`.
    public var storageText: String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        let data = (try? encoder.encode(Stored(v: 1, issuer: issuer, audience: audience, claims: claims))) ?? Data()
        return String(decoding: data, as: UTF8.self)
    }

    /// Read a stored policy back, checking it again (a damaged row refuses the pull rather than
    /// binding to something weaker).
    public init(storageText: String) throws(OIDCError) {
        let stored: Stored
        do { stored = try JSONDecoder().decode(Stored.self, from: Data(storageText.utf8)) } catch {
            throw .invalidConfiguration("stored OIDC binding is unreadable")
        }
        guard stored.v == 1 else { throw .invalidConfiguration("stored OIDC binding has unknown version \(stored.v)") }
        try self.init(issuer: stored.issuer, audience: stored.audience, claims: stored.claims)
    }
}
