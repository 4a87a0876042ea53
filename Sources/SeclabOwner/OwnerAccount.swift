public import SeclabClient
public import SeclabAPI
public import SeclabFormat
public import SeclabKeys
import SeclabPrimitives
import SeclabSRP

/// An account just registered on this device: the Secret Key exists only here and in the
/// Emergency Kit from now on (spec §3).
public struct RegisteredAccount: Sendable {
    /// The client-made account id.
    public let accountID: SeclabID
    /// The lowercased e-mail.
    public let email: String
    /// The new Secret Key (show once, store in the profile and the Emergency Kit).
    public let secretKey: SecretKey
}

/// Sign-up, login and passphrase change: every derivation on the client (spec §3–§5, §8).
public enum OwnerAccount {
    /// The only passphrase profile this client knows. Why fixed: the server names a profile,
    /// it never supplies parameters, and a client MUST refuse a name it does not know (spec §0);
    /// `m1` is the server's machine profile and is never acceptable for a human passphrase.
    static let passphraseProfile = Argon2id.Profile.p1

    /// Make the Secret Key, keypair, salts and verifier on the device and register (spec §3–§5).
    public static func register(client: APIClient, email: String, passphrase: NormalizedPassphrase) throws(OwnerError) -> RegisteredAccount {
        let accountID = SeclabID.random()
        let secretKey = SecretKey.generate()
        let keys = AccountKeyPair.generate()
        let material = try derive(passphrase: passphrase, secretKey: secretKey, accountID: accountID, keys: keys)
        let request = RegisterAccountRequest(accountID: accountID.text, email: email, kdfProfile: passphraseProfile.rawValue,
                                             saltAUK: material.saltAUK, saltSRP: material.saltSRP, srpVerifier: material.verifier,
                                             publicKey: keys.publicKey.text, encPrivateKey: material.encPrivateKey)
        do throws(APIValidationError) { try request.validate() } catch {
            throw .invalidInput("\(error)")
        }
        let response: RegisterAccountResponse = try call("account") { () throws(ClientError) in
            try client.send("POST", "/v1/accounts", body: request, idempotent: false)
        }
        guard response.accountID == accountID.text else {
            throw .integrity("the server registered a different account id")
        }
        return RegisteredAccount(accountID: accountID, email: email.lowercased(), secretKey: secretKey)
    }

    /// SRP-6a login (spec §8). The server's proof M2 is checked before anything else in the
    /// answer is used; the private key is then opened with the AUK (spec §5).
    public static func login(client: APIClient, email: String, passphrase: NormalizedPassphrase, secretKey: SecretKey,
                             expectedAccountID: SeclabID? = nil) throws(OwnerError) -> OwnerSession {
        let (start, accountID, proof) = try prove(client: client, email: email, passphrase: passphrase, secretKey: secretKey)
        let finish: SRPFinishResponse
        do {
            finish = try client.send("POST", "/v1/auth/srp/finish",
                                     body: SRPFinishRequest(loginID: start.loginID, clientProof: Base64URL.encode(proof.clientProof)),
                                     idempotent: false)
        } catch {
            // A wrong passphrase, a wrong Secret Key and an unknown e-mail all end here, and
            // all read the same: which secret was wrong is never revealed.
            if case .server(401, _, _, _) = error { throw .incorrectCredentials }
            throw translate(error, what: "account")
        }
        // Why first: until M2 checks out, the server has not shown that it holds our verifier,
        // so nothing else in this answer (token, key set) may be trusted (spec §8).
        do {
            try proof.verifyServerProof(Base64URL.decode(finish.serverProof, count: 32, what: "server_proof"))
        } catch {
            throw .integrity("the server could not prove it knows this account's verifier (SRP M2): it may be an impostor")
        }
        guard finish.account.accountID == accountID.text else {
            throw .integrity("the server returned another account's key set")
        }
        if let expectedAccountID, expectedAccountID != accountID {
            throw .integrity("the server answered for account \(accountID.text), this profile is \(expectedAccountID.text)")
        }
        let session = try OwnerSession.resume(client: client, token: finish.sessionToken, expiresAt: finish.expiresAt,
                                              keySet: finish.account, passphrase: passphrase, secretKey: secretKey,
                                              afterVerifiedLogin: true)
        return session
    }

    /// SRP-6a's first round trip and the client's answer M1 (spec §8): `srp/start`, then x
    /// from the two secrets and the proof. Used by a login and by a passphrase change.
    static func prove(client: APIClient, email: String, passphrase: NormalizedPassphrase,
                      secretKey: SecretKey) throws(OwnerError) -> (start: SRPStartResponse, accountID: SeclabID, proof: SRPClientProof) {
        let srp = SRPClient()
        let start: SRPStartResponse = try call("account") { () throws(ClientError) in
            try client.send("POST", "/v1/auth/srp/start", body: SRPStartRequest(email: email, clientPublic: Base64URL.encode(srp.publicValue)),
                            idempotent: false)
        }
        let accountID: SeclabID
        let saltSRP: [UInt8]
        let serverPublic: [UInt8]
        do {
            accountID = try SeclabID(text: start.accountID, what: "account_id")
            saltSRP = try Base64URL.decode(start.saltSRP, count: 16, what: "salt_srp")
            serverPublic = try Base64URL.decode(start.serverPublic, count: 512, what: "server_public")
        } catch {
            throw .integrity("the login challenge is malformed: \(error)")
        }
        try checkProfile(start.kdfProfile)
        let x: SRPSecret
        do {
            x = try TwoSecretKeyDerivation.srpSecret(passphrase: passphrase, secretKey: secretKey, accountID: accountID,
                                                     saltSRP: saltSRP, profile: passphraseProfile)
        } catch { throw .invalidInput(error.description) }
        do {
            return (start, accountID, try srp.respond(identity: accountID.bytes, salt: saltSRP, x: x.secretBytes, serverPublicValue: serverPublic))
        } catch {
            throw .integrity("the server's SRP value was refused: \(error)")
        }
    }

    /// Change the passphrase: new salts, the same private key re-wrapped under the new AUK and a
    /// new verifier; no vault or item is touched (spec §4). Returns the new key set.
    /// The request carries a fresh SRP proof of `currentPassphrase`: the server refuses a
    /// change made with a session token alone (a stolen token must not lock the owner out).
    public static func changePassphrase(_ session: OwnerSession, currentPassphrase: NormalizedPassphrase, newPassphrase: NormalizedPassphrase,
                                        secretKey: SecretKey) throws(OwnerError) -> AccountKeySet {
        let material = try derive(passphrase: newPassphrase, secretKey: secretKey, accountID: session.accountID, keys: session.keys)
        let (start, accountID, proof) = try prove(client: session.client, email: session.keySet.email, passphrase: currentPassphrase,
                                                  secretKey: secretKey)
        guard accountID == session.accountID else { throw .integrity("the server answered the proof for another account") }
        let request = ChangePassphraseRequest(kdfProfile: passphraseProfile.rawValue, saltAUK: material.saltAUK, saltSRP: material.saltSRP,
                                              srpVerifier: material.verifier, encPrivateKey: material.encPrivateKey,
                                              proof: SRPFinishRequest(loginID: start.loginID, clientProof: Base64URL.encode(proof.clientProof)))
        do {
            try client(session).sendExpectingNoContent("PUT", "/v1/account/passphrase", body: request,
                                                       authorization: session.authorization, idempotent: false)
        } catch {
            if case .server(403, "proof_failed", _, _) = error { throw .incorrectCredentials }
            throw translate(error, what: "account")
        }
        return AccountKeySet(accountID: session.accountID.text, email: session.keySet.email, kdfProfile: passphraseProfile.rawValue,
                             saltAUK: material.saltAUK, publicKey: session.keys.publicKey.text, encPrivateKey: material.encPrivateKey)
    }

    private static func client(_ session: OwnerSession) -> APIClient { session.client }

    static func checkProfile(_ name: String) throws(OwnerError) {
        guard name == passphraseProfile.rawValue else {
            throw .integrity("the server names KDF profile '\(name)', which this client does not accept for a passphrase (spec §0)")
        }
    }

    private struct Material {
        let saltAUK: String, saltSRP: String, verifier: String, encPrivateKey: String
    }

    /// Fresh salts, AUK, x, verifier and the wrapped private key (two Argon2id runs).
    private static func derive(passphrase: NormalizedPassphrase, secretKey: SecretKey, accountID: SeclabID,
                               keys: AccountKeyPair) throws(OwnerError) -> Material {
        let saltAUK = SecretBytes.random(count: 16).unprotectedArray()
        let saltSRP = SecretBytes.random(count: 16).unprotectedArray()
        do {
            let auk = try TwoSecretKeyDerivation.accountUnlockKey(passphrase: passphrase, secretKey: secretKey, accountID: accountID,
                                                                  saltAUK: saltAUK, profile: passphraseProfile)
            let x = try TwoSecretKeyDerivation.srpSecret(passphrase: passphrase, secretKey: secretKey, accountID: accountID,
                                                         saltSRP: saltSRP, profile: passphraseProfile)
            return Material(saltAUK: Base64URL.encode(saltAUK), saltSRP: Base64URL.encode(saltSRP),
                            verifier: Base64URL.encode(SRP.verifier(x: x.secretBytes)),
                            encPrivateKey: keys.sealPrivateKey(auk: auk, accountID: accountID).text)
        } catch {
            throw .invalidInput(error.description)
        }
    }
}
