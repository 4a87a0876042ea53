import Hummingbird
import SeclabAPI
import SeclabPrimitives
import SeclabSRP
import SeclabStore

extension LoginRecord {
    /// The server's proof M2 when `clientProof` is a valid M1 for this login attempt (spec §8),
    /// else nil. Decoys are the caller's to refuse: the arithmetic alone cannot tell.
    func serverProof(for clientProof: [UInt8]) -> [UInt8]? {
        do {
            let server = try SRPServer(verifier: try Base64URL.decode(srpVerifier, count: 512, what: "verifier"),
                                       secret: SecretBytes(copying: try Base64URL.decode(secretB, count: 32, what: "b")))
            return try server.verify(identity: UUIDText.bytes(accountID) ?? [], salt: try Base64URL.decode(saltSRP, count: 16, what: "salt"),
                                     clientPublicValue: try Base64URL.decode(clientPublic, count: 512, what: "A"), clientProof: clientProof).serverProof
        } catch {
            return nil
        }
    }
}

/// A fresh SRP-6a proof (spec §8) for an action that must not rest on a session token alone.
///
/// Why: a stolen bearer token must not be enough to change the passphrase and lock the owner
/// out. The client runs `srp/start` for its own account and sends M1 with the
/// change; the server consumes the login attempt and checks M1 exactly as `srp/finish` does,
/// without issuing a session. Failures count against the same throttles as a failed login.
extension Services {
    /// Run `change` only if `proof` verifies for `accountID`, in ONE write transaction with the
    /// consumption of the login attempt: a crash leaves either the old state with the attempt
    /// unspent, or the change with the attempt spent, never a half. A proof that does not
    /// verify, is a decoy's, has expired or belongs to another account is counted as a failed
    /// login and answered 403; nothing is changed.
    func withFreshProof(_ proof: SRPFinishRequest, accountID: String, context: SeclabRequestContext, now: Int64,
                        _ change: @escaping @Sendable (Transaction) async throws -> Void) async throws {
        let audit = AuditRecord(time: now, actorID: accountID, actorKind: .account, action: .accountPassphrase,
                                clientAddress: context.clientAddress, outcome: .denied)
        try await checkThrottle(keys: Services.loginKeys(accountID: accountID, context: context), kind: "srp", audit: audit, now: now)
        let clientProof = (try? Base64URL.decode(proof.clientProof, count: 32, what: "client_proof")) ?? []
        let keys = loginFailureKeys(accountID: accountID, context: context)
        let verified = try await database.write { tx -> Bool in
            let login = try await tx.takeLogin(id: proof.loginID)
            guard let login, login.expiresAt > now, login.isDecoy == 0, login.accountID == accountID,
                  login.serverProof(for: clientProof) != nil else {
                try await tx.recordFailure(keys: keys, now: now)
                try await tx.audit(audit)
                return false
            }
            try await change(tx)
            return true
        }
        guard verified else {
            metrics.authFailure(kind: "srp")
            throw APIError(.forbidden, code: "proof_failed", message: "the proof of the current passphrase did not verify; nothing was changed")
        }
    }
}
