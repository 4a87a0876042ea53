import Hummingbird
import Logging
import SeclabAPI
import SeclabOIDC
import SeclabStore

/// The CI identity side of machine slots: checking a binding when an owner creates a
/// slot, showing it, and checking a bound slot's token when it pulls.
///
/// Why after the credential (docs/security.md, "CI identity binding"): the token is checked
/// only once the slot's secret verified, so strangers cannot make the server fetch key sets
/// or fill the audit with claims, and every refusal is attributed to a real slot. Binding is
/// access control: confidentiality still rests on the credential.
extension PullState {
    /// The policy an owner asked for, checked: the issuer must be one this server trusts, the
    /// claims well formed, at least one besides the audience. 400 naming what to fix otherwise.
    func policy(for binding: OIDCBinding) throws -> BindingPolicy {
        guard let oidc, oidc.trusts(binding.issuer) else {
            let trusted = oidc?.trustedIssuers.joined(separator: ", ") ?? "none"
            throw APIError.badRequest(field: "oidc_binding.issuer",
                                      "\(binding.issuer) is not an OIDC issuer this server trusts (trusted: \(trusted)); the operator adds it with --oidc-issuer \(binding.issuer)")
        }
        do {
            let claims = try binding.claims.map { claim throws(OIDCError) in try ClaimPattern(key: claim.key, pattern: claim.pattern) }
            return try BindingPolicy(issuer: binding.issuer, audience: binding.audience, claims: claims)
        } catch {
            throw APIError.badRequest(field: "oidc_binding", error.description)
        }
    }

    /// A stored policy as the owner sees it; nil when unbound (or, never expected, unreadable:
    /// the pull then refuses, see `checkIdentity`).
    static func binding(storageText: String?) -> OIDCBinding? {
        guard let storageText, let policy = try? BindingPolicy(storageText: storageText) else { return nil }
        return OIDCBinding(issuer: policy.issuer, audience: policy.audience,
                           claims: policy.claims.map { OIDCBinding.Claim(key: $0.key, pattern: $0.pattern) })
    }
}

extension PullService {
    /// A bound slot's token check, run after the credential verified. Returns the verified
    /// claims' audit text for the pull's row. A refusal is audited (aggregated, with its reason
    /// and the claims the token made, marked unverified) and answered 403 with the reason's
    /// code; an issuer that cannot be reached is 503 `oidc_issuer_unavailable` (fail closed).
    func checkIdentity(policyText: String, token: String?, audit: AuditRecord) async throws -> String {
        switch await verifyIdentity(policyText: policyText, token: token) {
        case let .success(claims):
            return claims.auditText
        case let .failure(error):
            var row = audit.with(outcome: error.isUnavailable ? .failed : .denied)
            row.action = AuditAction.machinePull.rawValue
            let claimed = token.flatMap(AuditedClaims.unverified(token:))?.auditText
            row.detail = "oidc=\(error.code)" + (claimed.map { " claims=\($0)" } ?? "")
            services.aggregatedAudit.note(row)
            if error.isUnavailable {
                services.logger.warning("OIDC issuer unavailable: \(error.description)")
                throw APIError(.serviceUnavailable, code: error.code, message: error.description, headers: [.retryAfter: "2"])
            }
            throw APIError(.forbidden, code: error.code, message: error.description)
        }
    }

    /// The token check alone, without audit or answer: the warm path uses it and leaves every
    /// refusal to the full path (which checks again, audits and answers).
    func verifyIdentity(policyText: String, token: String?) async -> Result<AuditedClaims, OIDCError> {
        do throws(OIDCError) {
            if let token, let hit = services.pull.oidc?.recentlyVerified(token, policyText: policyText) { return .success(hit) }
            let policy = try BindingPolicy(storageText: policyText)
            guard let verifier = services.pull.oidc else { throw OIDCError.issuerNotTrusted(policy.issuer) }
            return .success(try await verifier.verify(token, policy: policy, policyText: policyText))
        } catch {
            return .failure(error)
        }
    }
}
