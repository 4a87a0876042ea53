/// Why a CI identity token was refused, or why it could not be checked.
///
/// One small error type for the whole OIDC layer. `code` is stable (the server puts it in the
/// audit row and in its error answer); `description` says what to do next. No case carries
/// the token itself: a token is a bearer secret for its few minutes of life.
public enum OIDCError: Error, Sendable, Equatable, CustomStringConvertible {
    /// The slot is bound and the pull carried no token.
    case missingToken
    /// Not a compact JWS (three base64url parts with JSON header and payload), or too long.
    case malformedToken(String)
    /// `alg` other than RS256 / ES256 (`none`, HS*, PS*, …), or an `alg` that does not fit the key's type.
    case algorithmRefused(String)
    /// The header names a `crit` extension; none is understood, so none is accepted (RFC 7515 §4.1.11).
    case criticalHeader
    /// The `kid` is absent, or not in the issuer's key set even after a refresh.
    case unknownKey(String)
    /// The signature does not verify under the key the `kid` names.
    case badSignature
    /// The token's `iss` is not byte-equal to the slot's issuer.
    case issuerMismatch
    /// The slot's issuer is not among the server's `--oidc-issuer`s (removed since the slot was made).
    case issuerNotTrusted(String)
    /// `exp` missing, or more than the leeway in the past.
    case expired
    /// `nbf` (or `iat`) more than the leeway in the future.
    case notYetValid
    /// `aud` is not exactly the slot's audience.
    case wrongAudience
    /// A bound claim is missing or does not match its pattern.
    case claimMismatch(String)
    /// The issuer's discovery document or key set could not be fetched or was invalid: the
    /// pull cannot be checked now (503), which says nothing about the token.
    case issuerUnavailable(String)
    /// A configured issuer URL or a binding policy is not acceptable (at configuration or creation time).
    case invalidConfiguration(String)

    /// Stable machine-readable reason (audit rows, error answers).
    public var code: String {
        switch self {
        case .missingToken: "oidc_token_missing"
        case .malformedToken: "oidc_token_malformed"
        case .algorithmRefused: "oidc_algorithm_refused"
        case .criticalHeader: "oidc_critical_header"
        case .unknownKey: "oidc_unknown_key"
        case .badSignature: "oidc_bad_signature"
        case .issuerMismatch: "oidc_issuer_mismatch"
        case .issuerNotTrusted: "oidc_issuer_not_trusted"
        case .expired: "oidc_token_expired"
        case .notYetValid: "oidc_token_not_yet_valid"
        case .wrongAudience: "oidc_wrong_audience"
        case .claimMismatch: "oidc_claim_mismatch"
        case .issuerUnavailable: "oidc_issuer_unavailable"
        case .invalidConfiguration: "oidc_invalid_configuration"
        }
    }

    /// True when the failure is the issuer's, not the token's: the server answers 503 and the
    /// client may retry; every other case is a refusal of this token.
    public var isUnavailable: Bool {
        if case .issuerUnavailable = self { return true }
        return false
    }

    /// One line: what was wrong and what to do next.
    public var description: String {
        switch self {
        case .missingToken:
            "this machine credential is bound to a CI identity and the pull carried no OIDC token; in GitHub Actions add `permissions: id-token: write`, in GitLab CI add `id_tokens:` (SECLAB_OIDC_TOKEN)"
        case let .malformedToken(why): "the OIDC token is malformed (\(why)); pass the identity token exactly as the CI system issued it"
        case let .algorithmRefused(alg): "the OIDC token's algorithm \(alg) is refused; only RS256 and ES256 are accepted"
        case .criticalHeader: "the OIDC token names a critical header extension, which is not supported"
        case let .unknownKey(kid): "the OIDC token's key id \(kid) is not in the issuer's key set"
        case .badSignature: "the OIDC token's signature does not verify under the issuer's key"
        case .issuerMismatch: "the OIDC token comes from another issuer than the one this credential is bound to"
        case let .issuerNotTrusted(issuer): "the issuer \(issuer) is not trusted by this server (start it with --oidc-issuer \(issuer))"
        case .expired: "the OIDC token has expired; request a fresh one for each run"
        case .notYetValid: "the OIDC token is not valid yet; check the clock of the machine that issued it"
        case .wrongAudience: "the OIDC token's audience is not the one this credential is bound to (set SECLAB_OIDC_AUDIENCE to the audience given at `seclab machine create`)"
        case let .claimMismatch(key): "the OIDC token's claim \(key) does not match this credential's binding"
        case let .issuerUnavailable(why): "the identity provider cannot be reached to check the OIDC token (\(why)); retry shortly"
        case let .invalidConfiguration(why): why
        }
    }
}
