/// A machine slot's CI identity binding on the wire: `oidc_binding` in
/// `CreateMachineSlotRequest` and `MachineSlotView`. Plain data here; the server checks it with
/// `SeclabOIDC.BindingPolicy` (issuer trusted, patterns well formed, at least one claim), so
/// the clients never link the JWT library (docs/architecture.md).
public struct OIDCBinding: Codable, Sendable, Equatable {
    /// The issuer, byte-equal to the tokens' `iss` and to one of the server's `--oidc-issuer`s.
    public var issuer: String
    /// The only accepted `aud`.
    public var audience: String
    /// Claims that must all match: exact text, or a glob (`*` one path segment, `**` several).
    public var claims: [Claim]

    /// One `KEY=PATTERN`.
    public struct Claim: Codable, Sendable, Equatable {
        /// The claim's name, e.g. `repository`.
        public var key: String
        /// Exact value or glob, e.g. `acme/*`.
        public var pattern: String
        /// Memberwise.
        public init(key: String, pattern: String) { self.key = key; self.pattern = pattern }
    }

    /// Memberwise.
    public init(issuer: String, audience: String, claims: [Claim]) {
        self.issuer = issuer; self.audience = audience; self.claims = claims
    }

    /// Bounds on what a request may carry (the server checks the meaning).
    func validate(field: String) throws(APIValidationError) {
        guard !issuer.isEmpty, issuer.utf8.count <= 512 else { throw APIValidationError(field: "\(field).issuer", reason: "1 to 512 characters") }
        guard !audience.isEmpty, audience.utf8.count <= 512 else { throw APIValidationError(field: "\(field).audience", reason: "1 to 512 characters") }
        guard !claims.isEmpty else {
            throw APIValidationError(field: "\(field).claims", reason: "at least one claim besides the audience (an issuer alone admits every repository it serves)")
        }
        guard claims.count <= 16 else { throw APIValidationError(field: "\(field).claims", reason: "at most 16 claims") }
        for (index, claim) in claims.enumerated() {
            guard !claim.key.isEmpty, claim.key.utf8.count <= 64, !claim.pattern.isEmpty, claim.pattern.utf8.count <= 512 else {
                throw APIValidationError(field: "\(field).claims[\(index)]", reason: "key 1 to 64 and pattern 1 to 512 characters")
            }
        }
    }
}
