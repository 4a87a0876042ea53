public import SeclabClient
public import SeclabAPI
public import SeclabFormat
public import SeclabKeys
import SeclabPrimitives

/// A logged-in owner: the bearer token, the account's key set as returned by a verified SRP
/// login, and the account keypair opened on this device. The private key lives only in memory.
public final class OwnerSession {
    /// The API client.
    public let client: APIClient
    /// The bearer session token (spec §9).
    public let token: String
    /// RFC 3339 absolute expiry of the token.
    public let expiresAt: String
    /// The key set from the login (public data and ciphertext only; cacheable).
    public let keySet: AccountKeySet
    /// The account id.
    public let accountID: SeclabID
    /// The opened account keypair.
    public let keys: AccountKeyPair
    /// Public keys of other accounts pinned on this device (spec §6.1); callers persist them.
    public var pins: KeyPins

    init(client: APIClient, token: String, expiresAt: String, keySet: AccountKeySet, accountID: SeclabID, keys: AccountKeyPair, pins: KeyPins) {
        self.client = client
        self.token = token
        self.expiresAt = expiresAt
        self.keySet = keySet
        self.accountID = accountID
        self.keys = keys
        self.pins = pins
    }

    /// `Authorization: Bearer <token>`.
    public var authorization: Authorization { .bearer(token) }

    /// Resume a cached session: open the cached (login-verified) key set with the AUK derived
    /// from the two secrets. One Argon2id run; a wrong passphrase or Secret Key fails here.
    public static func resume(client: APIClient, token: String, expiresAt: String, keySet: AccountKeySet,
                              passphrase: NormalizedPassphrase, secretKey: SecretKey, pins: KeyPins = KeyPins()) throws(OwnerError) -> OwnerSession {
        try resume(client: client, token: token, expiresAt: expiresAt, keySet: keySet, passphrase: passphrase,
                   secretKey: secretKey, afterVerifiedLogin: false, pins: pins)
    }

    static func resume(client: APIClient, token: String, expiresAt: String, keySet: AccountKeySet, passphrase: NormalizedPassphrase,
                       secretKey: SecretKey, afterVerifiedLogin: Bool, pins: KeyPins = KeyPins()) throws(OwnerError) -> OwnerSession {
        try OwnerAccount.checkProfile(keySet.kdfProfile)
        let accountID: SeclabID
        let saltAUK: [UInt8]
        let blob: AEADBlob
        let publicKey: X25519PublicKey
        do {
            accountID = try SeclabID(text: keySet.accountID, what: "account_id")
            saltAUK = try Base64URL.decode(keySet.saltAUK, count: 16, what: "salt_auk")
            blob = try AEADBlob(text: keySet.encPrivateKey, what: "enc_private_key")
            publicKey = try X25519PublicKey(text: keySet.publicKey)
        } catch {
            throw .integrity("the account key set is malformed: \(error)")
        }
        let auk: AccountUnlockKey
        do {
            auk = try TwoSecretKeyDerivation.accountUnlockKey(passphrase: passphrase, secretKey: secretKey, accountID: accountID,
                                                              saltAUK: saltAUK, profile: OwnerAccount.passphraseProfile)
        } catch { throw .invalidInput(error.description) }
        let keys: AccountKeyPair
        do {
            keys = try AccountKeyPair.open(blob, auk: auk, accountID: accountID)
        } catch {
            // After a verified SRP login both secrets are right, so a failure means the server
            // sent a bad key set; on a cached set it means a wrong passphrase or Secret Key.
            throw afterVerifiedLogin ? .integrity("the account private key did not open") : .incorrectCredentials
        }
        // Why: a key set whose public half does not match its private half would make us wrap
        // vault keys to a key nobody can open (or someone else can).
        guard keys.publicKey == publicKey else { throw .integrity("the account public key does not match its private key") }
        return OwnerSession(client: client, token: token, expiresAt: expiresAt, keySet: keySet, accountID: accountID, keys: keys, pins: pins)
    }

    /// End this session on the server. An already-ended session counts as logged out.
    public func logout() throws(OwnerError) {
        do {
            try client.sendExpectingNoContent("POST", "/v1/auth/logout", authorization: authorization, idempotent: true)
        } catch {
            if case .server(401, _, _, _) = error { return }
            throw translate(error, what: "session")
        }
    }

    /// End a session known only by its token (logout without unlocking the keys).
    public static func logout(client: APIClient, token: String) throws(OwnerError) {
        do {
            try client.sendExpectingNoContent("POST", "/v1/auth/logout", authorization: .bearer(token), idempotent: true)
        } catch {
            if case .server(401, _, _, _) = error { return }
            throw translate(error, what: "session")
        }
    }
}

/// Public keys of other accounts, pinned on first use or after a fingerprint check (spec §6.1).
/// Public data: stored in the profile so that a later change is noticed.
public struct KeyPins: Codable, Sendable, Equatable {
    /// One pinned key.
    public struct Entry: Codable, Sendable, Equatable {
        /// b64u public key.
        public var publicKey: String
        /// The e-mail it was looked up by, if known.
        public var email: String?
        /// True when a person compared the fingerprint (or typed it); false for trust on first use.
        public var verified: Bool
        enum CodingKeys: String, CodingKey { case publicKey = "public_key", email, verified }
        /// Memberwise.
        public init(publicKey: String, email: String?, verified: Bool) {
            self.publicKey = publicKey; self.email = email; self.verified = verified
        }
    }

    /// Pins by account id text.
    public var accounts: [String: Entry]

    /// No pins.
    public init(accounts: [String: Entry] = [:]) { self.accounts = accounts }

    /// The pinned key of an account.
    public func key(for accountID: SeclabID) -> Entry? { accounts[accountID.text] }

    /// The account id pinned for an e-mail, if any.
    public func accountID(forEmail email: String) -> String? {
        accounts.first { $0.value.email == email.lowercased() }?.key
    }

    /// Check `offered` against the pin of `accountID` and pin it if there is none.
    /// Returns the trust level. Throws loudly when a pinned key changed (spec §6.1 MUST).
    mutating func check(_ offered: X25519PublicKey, for accountID: SeclabID, email: String?, verified: Bool) throws(OwnerError) -> Bool {
        if var entry = accounts[accountID.text] {
            guard let pinned = try? X25519PublicKey(text: entry.publicKey), pinned == offered else {
                let pinnedFP = (try? X25519PublicKey(text: entry.publicKey)).map(Fingerprint.of) ?? "unreadable"
                throw .pinnedKeyChanged(account: email ?? entry.email ?? accountID.text, pinned: pinnedFP, offered: Fingerprint.of(offered))
            }
            if verified && !entry.verified || (entry.email == nil && email != nil) {
                entry.verified = entry.verified || verified
                entry.email = entry.email ?? email?.lowercased()
                accounts[accountID.text] = entry
            }
            return entry.verified
        }
        accounts[accountID.text] = Entry(publicKey: offered.text, email: email?.lowercased(), verified: verified)
        return verified
    }
}
