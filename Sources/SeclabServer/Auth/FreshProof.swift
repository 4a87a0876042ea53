import Hummingbird
import SeclabAPI
import SeclabPrimitives
import SeclabSRP
import SeclabStore

/// A fresh SRP-6a proof (spec §8) for an action that must not rest on a session token alone.
///
/// Why: a stolen bearer token must not be enough to change the passphrase and lock the owner
/// out. The client runs `srp/start` for its own account and sends M1 with the change; the
/// server consumes the login attempt and checks M1 exactly as `srp/finish` does, without
/// issuing a session. Failures count against the account's and the address's throttles.
extension Services {
    /// Verify `proof` for `accountID`; throws 403 (counted as a failed authentication) when it
    /// does not verify, is a decoy, has expired or belongs to another account.
    func requireFreshProof(_ proof: SRPFinishRequest, accountID: String, context: SeclabRequestContext, now: Int64) async throws {
        let keys = failureKeys(principal: "acct:\(accountID)", context: context)
        try await checkThrottle(keys: keys.map(\.key), kind: "srp", now: now)
        let login = try await database.write { tx in try await tx.takeLogin(id: proof.loginID) }
        var verified = false
        if let login, login.expiresAt > now, login.isDecoy == 0, login.accountID == accountID {
            do {
                let server = try SRPServer(verifier: try Base64URL.decode(login.srpVerifier, count: 512, what: "verifier"),
                                           secret: SecretBytes(copying: try Base64URL.decode(login.secretB, count: 32, what: "b")))
                _ = try server.verify(identity: UUIDText.bytes(login.accountID) ?? [], salt: try Base64URL.decode(login.saltSRP, count: 16, what: "salt"),
                                      clientPublicValue: try Base64URL.decode(login.clientPublic, count: 512, what: "A"),
                                      clientProof: try Base64URL.decode(proof.clientProof, count: 32, what: "client_proof"))
                verified = true
            } catch {
                verified = false
            }
        }
        guard verified else {
            metrics.authFailure(kind: "srp")
            try await database.write { tx in
                try await tx.recordFailure(keys: keys, now: now)
                try await tx.audit(AuditRecord(time: now, actorID: accountID, actorKind: "account", action: "account.passphrase",
                                               clientAddress: context.clientAddress, outcome: "denied"))
            }
            throw APIError(.forbidden, code: "proof_failed", message: "the proof of the current passphrase did not verify; nothing was changed")
        }
    }
}
