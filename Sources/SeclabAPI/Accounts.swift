/// `POST /v1/accounts`: register an account (spec §3–§5). Every byte field is public or
/// ciphertext: salts, the SRP verifier, the public key and the AUK-wrapped private key.
public struct RegisterAccountRequest: ValidatedRequest, Equatable {
    /// Client-made UUIDv4 (spec §0).
    public var accountID: String
    /// The login handle.
    public var email: String
    /// Argon2id profile name of the passphrase stretch (spec §0), `p1`.
    public var kdfProfile: String
    /// b64u, 16 bytes (spec §4).
    public var saltAUK: String
    /// b64u, 16 bytes (spec §4, §8 `s`).
    public var saltSRP: String
    /// b64u of `PAD(v)`, 512 bytes (spec §8).
    public var srpVerifier: String
    /// b64u X25519 public key, 32 bytes (spec §5).
    public var publicKey: String
    /// `xc1.` blob of the private key under the AUK (spec §5).
    public var encPrivateKey: String

    enum CodingKeys: String, CodingKey {
        case accountID = "account_id", email, kdfProfile = "kdf_profile", saltAUK = "salt_auk", saltSRP = "salt_srp"
        case srpVerifier = "srp_verifier", publicKey = "public_key", encPrivateKey = "enc_private_key"
    }

    /// Memberwise.
    public init(accountID: String, email: String, kdfProfile: String, saltAUK: String, saltSRP: String, srpVerifier: String, publicKey: String, encPrivateKey: String) {
        self.accountID = accountID; self.email = email; self.kdfProfile = kdfProfile; self.saltAUK = saltAUK
        self.saltSRP = saltSRP; self.srpVerifier = srpVerifier; self.publicKey = publicKey; self.encPrivateKey = encPrivateKey
    }

    /// Check every field's structure.
    public func validate() throws(APIValidationError) {
        try WireCheck.id(accountID, field: "account_id")
        _ = try WireCheck.email(email, field: "email")
        try WireCheck.kdfProfile(kdfProfile, field: "kdf_profile")
        try WireCheck.bytes(saltAUK, count: 16, field: "salt_auk")
        try WireCheck.bytes(saltSRP, count: 16, field: "salt_srp")
        try WireCheck.bytes(srpVerifier, count: WireLimits.srpValueBytes, field: "srp_verifier")
        try WireCheck.bytes(publicKey, count: 32, field: "public_key")
        try WireCheck.aeadBlob(encPrivateKey, field: "enc_private_key", maxPlaintext: WireLimits.maxKeyBytes)
    }
}

/// `POST /v1/accounts` response.
public struct RegisterAccountResponse: Codable, Sendable, Equatable {
    /// The registered id.
    public var accountID: String
    enum CodingKeys: String, CodingKey { case accountID = "account_id" }
    /// Memberwise.
    public init(accountID: String) { self.accountID = accountID }
}

/// `PUT /v1/account/passphrase`: replace salts, verifier and wrapped private key atomically
/// (spec §4: a passphrase change re-wraps only the account private key).
public struct ChangePassphraseRequest: ValidatedRequest, Equatable {
    /// Profile of the new stretch.
    public var kdfProfile: String
    /// New b64u 16-byte salt.
    public var saltAUK: String
    /// New b64u 16-byte salt.
    public var saltSRP: String
    /// New b64u 512-byte verifier.
    public var srpVerifier: String
    /// The same private key, wrapped under the new AUK.
    public var encPrivateKey: String
    /// A fresh SRP proof of the *current* passphrase (a `srp/start` of the caller's own
    /// account, answered with M1): a session token alone cannot change the passphrase.
    public var proof: SRPFinishRequest?

    enum CodingKeys: String, CodingKey {
        case kdfProfile = "kdf_profile", saltAUK = "salt_auk", saltSRP = "salt_srp"
        case srpVerifier = "srp_verifier", encPrivateKey = "enc_private_key", proof
    }

    /// Memberwise.
    public init(kdfProfile: String, saltAUK: String, saltSRP: String, srpVerifier: String, encPrivateKey: String, proof: SRPFinishRequest? = nil) {
        self.kdfProfile = kdfProfile; self.saltAUK = saltAUK; self.saltSRP = saltSRP
        self.srpVerifier = srpVerifier; self.encPrivateKey = encPrivateKey; self.proof = proof
    }

    /// Check every field's structure.
    public func validate() throws(APIValidationError) {
        try WireCheck.kdfProfile(kdfProfile, field: "kdf_profile")
        try WireCheck.bytes(saltAUK, count: 16, field: "salt_auk")
        try WireCheck.bytes(saltSRP, count: 16, field: "salt_srp")
        try WireCheck.bytes(srpVerifier, count: WireLimits.srpValueBytes, field: "srp_verifier")
        try WireCheck.aeadBlob(encPrivateKey, field: "enc_private_key", maxPlaintext: WireLimits.maxKeyBytes)
        guard let proof else {
            throw APIValidationError(field: "proof", reason: "a fresh SRP proof of the current passphrase is required (login_id, client_proof)")
        }
        do throws(APIValidationError) { try proof.validate() } catch { throw APIValidationError(field: "proof.\(error.field)", reason: error.reason) }
    }
}

/// `GET /v1/accounts/lookup?email=`: the public key to wrap a share slot to (spec §6.1).
public struct AccountLookupResponse: Codable, Sendable, Equatable {
    /// The account's id.
    public var accountID: String
    /// b64u X25519 public key; clients check it by fingerprint (spec §5).
    public var publicKey: String
    enum CodingKeys: String, CodingKey { case accountID = "account_id", publicKey = "public_key" }
    /// Memberwise.
    public init(accountID: String, publicKey: String) { self.accountID = accountID; self.publicKey = publicKey }
}

/// `POST /v1/auth/srp/start` (spec §8, first step).
public struct SRPStartRequest: ValidatedRequest, Equatable {
    /// The login handle.
    public var email: String
    /// b64u of `PAD(A)`, 512 bytes.
    public var clientPublic: String
    enum CodingKeys: String, CodingKey { case email, clientPublic = "client_public" }
    /// Memberwise.
    public init(email: String, clientPublic: String) { self.email = email; self.clientPublic = clientPublic }
    /// Check structure (the `A mod N ≠ 0` check is the server's SRP code's).
    public func validate() throws(APIValidationError) {
        _ = try WireCheck.email(email, field: "email")
        try WireCheck.bytes(clientPublic, count: WireLimits.srpValueBytes, field: "client_public")
    }
}

/// `POST /v1/auth/srp/start` response: what the client needs to derive x and M1.
public struct SRPStartResponse: Codable, Sendable, Equatable {
    /// Identifies this login attempt in the finish step (single use, 60 s).
    public var loginID: String
    /// The account id (`I` of spec §8; a decoy for unknown e-mails).
    public var accountID: String
    /// The profile name of the passphrase stretch.
    public var kdfProfile: String
    /// b64u 16 bytes.
    public var saltAUK: String
    /// b64u 16 bytes.
    public var saltSRP: String
    /// b64u of `PAD(B)`, 512 bytes.
    public var serverPublic: String
    enum CodingKeys: String, CodingKey {
        case loginID = "login_id", accountID = "account_id", kdfProfile = "kdf_profile"
        case saltAUK = "salt_auk", saltSRP = "salt_srp", serverPublic = "server_public"
    }
    /// Memberwise.
    public init(loginID: String, accountID: String, kdfProfile: String, saltAUK: String, saltSRP: String, serverPublic: String) {
        self.loginID = loginID; self.accountID = accountID; self.kdfProfile = kdfProfile
        self.saltAUK = saltAUK; self.saltSRP = saltSRP; self.serverPublic = serverPublic
    }
}

/// `POST /v1/auth/srp/finish` (spec §8, second step).
public struct SRPFinishRequest: ValidatedRequest, Equatable {
    /// From the start response.
    public var loginID: String
    /// b64u of M1, 32 bytes.
    public var clientProof: String
    enum CodingKeys: String, CodingKey { case loginID = "login_id", clientProof = "client_proof" }
    /// Memberwise.
    public init(loginID: String, clientProof: String) { self.loginID = loginID; self.clientProof = clientProof }
    /// Check structure.
    public func validate() throws(APIValidationError) {
        try WireCheck.id(loginID, field: "login_id")
        try WireCheck.bytes(clientProof, count: 32, field: "client_proof")
    }
}

/// The caller's own key set, returned after login.
public struct AccountKeySet: Codable, Sendable, Equatable {
    /// Account id.
    public var accountID: String
    /// Login handle.
    public var email: String
    /// Profile name of the passphrase stretch.
    public var kdfProfile: String
    /// b64u 16 bytes.
    public var saltAUK: String
    /// b64u 32 bytes.
    public var publicKey: String
    /// `xc1.` blob of the private key under the AUK.
    public var encPrivateKey: String
    enum CodingKeys: String, CodingKey {
        case accountID = "account_id", email, kdfProfile = "kdf_profile", saltAUK = "salt_auk"
        case publicKey = "public_key", encPrivateKey = "enc_private_key"
    }
    /// Memberwise.
    public init(accountID: String, email: String, kdfProfile: String, saltAUK: String, publicKey: String, encPrivateKey: String) {
        self.accountID = accountID; self.email = email; self.kdfProfile = kdfProfile
        self.saltAUK = saltAUK; self.publicKey = publicKey; self.encPrivateKey = encPrivateKey
    }
}

/// `POST /v1/auth/srp/finish` response.
public struct SRPFinishResponse: Codable, Sendable, Equatable {
    /// b64u of M2, 32 bytes: the client MUST check it before trusting anything else here.
    public var serverProof: String
    /// b64u of 32 random bytes (spec §9); send as `Authorization: Bearer <token>`.
    public var sessionToken: String
    /// RFC 3339 time of the absolute expiry.
    public var expiresAt: String
    /// The account's key set.
    public var account: AccountKeySet
    enum CodingKeys: String, CodingKey {
        case serverProof = "server_proof", sessionToken = "session_token", expiresAt = "expires_at", account
    }
    /// Memberwise.
    public init(serverProof: String, sessionToken: String, expiresAt: String, account: AccountKeySet) {
        self.serverProof = serverProof; self.sessionToken = sessionToken; self.expiresAt = expiresAt; self.account = account
    }
}

/// The JSON error body of every non-2xx response: `{"error": {"code": …, "message": …}}`.
public struct ErrorResponse: Codable, Sendable, Equatable {
    /// The error object.
    public struct Body: Codable, Sendable, Equatable {
        /// A stable machine-readable code (`bad_request`, `not_found`, `conflict`, …).
        public var code: String
        /// A human-readable message; for 400s it names the field.
        public var message: String
        /// For 400s: the offending field's JSON path.
        public var field: String?
        /// Memberwise.
        public init(code: String, message: String, field: String? = nil) { self.code = code; self.message = message; self.field = field }
    }
    /// The error.
    public var error: Body
    /// Memberwise.
    public init(error: Body) { self.error = error }
}
