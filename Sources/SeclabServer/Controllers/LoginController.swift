import Hummingbird
import SeclabAPI
import SeclabPrimitives
import SeclabStore
import SeclabSRP

/// `POST /v1/auth/srp/start` and `/finish`: SRP-6a (spec §8). Login state (b, A, expiry)
/// lives in the database, so start and finish may hit different replicas.
struct LoginController {
    let services: Services

    func register(on router: Router<SeclabRequestContext>) {
        router.post("/v1/auth/srp/start") { request, context in try await self.start(request, context) }
        router.post("/v1/auth/srp/finish") { request, context in try await self.finish(request, context) }
    }

    func start(_ request: Request, _ context: SeclabRequestContext) async throws -> Response {
        let body = try await JSONBody.decode(SRPStartRequest.self, from: request, limit: services.config.maxBodyBytes)
        let email = try WireCheck.email(body.email, field: "email")
        let clientPublic = try WireCheck.bytes(body.clientPublic, count: WireLimits.srpValueBytes, field: "client_public")
        // spec §8: A = 0 mod N is refused before anything else.
        do { _ = try SRP.parsePublicValue(clientPublic, what: "client_public") } catch {
            throw APIError.badRequest(field: "client_public", "not a valid SRP public value")
        }
        let now = Clock.nowMillis()
        let account = try await services.database.read { tx in try await tx.account(email: email) }
        let accountID: String, saltAUK: String, saltSRP: String, verifier: [UInt8], profile: String
        if let account {
            (accountID, saltAUK, saltSRP, profile) = (account.accountID, account.saltAUK, account.saltSRP, account.kdfProfile)
            verifier = try Base64URL.decode(account.srpVerifier, count: WireLimits.srpValueBytes, what: "stored verifier")
        } else {
            (accountID, saltAUK, saltSRP) = try await services.logins.decoy(email: email, database: services.database)
            profile = "p1"
            verifier = services.logins.decoyVerifier
        }
        // Throttled accounts and addresses are refused before the modular exponentiation of B.
        try await services.checkThrottle(keys: Services.loginKeys(accountID: accountID, context: context), kind: "srp",
                                         audit: attempt(account == nil ? nil : accountID, context: context, now: now), now: now)
        // Every start costs a 4096-bit modular exponentiation and a kept row, so
        // the address and the server get a rate before that (after the throttle, whose
        // Retry-After is the one a blocked client needs to hear).
        guard services.rates.srpStart.take(context.throttleSubject) else {
            throw services.limited(kind: "srp", audit: AuditRecord(time: now, actorID: nil, actorKind: .anonymous,
                                                                   action: .authSRP, clientAddress: context.clientAddress, outcome: .limited))
        }
        let server = try SRPServer(verifier: verifier)
        let login = LoginRecord(
            loginID: UUIDText.random(), accountID: accountID, isDecoy: account == nil, saltSRP: saltSRP,
            srpVerifier: Base64URL.encode(verifier), secretB: server.secret.withUnsafeBytes { Base64URL.encode($0) },
            clientPublic: body.clientPublic, clientAddress: context.clientAddress, expiresAt: now + services.config.loginTTLMillis)
        try await services.database.write { tx in try await tx.insertLogin(login) }
        return try JSONBody.response(SRPStartResponse(loginID: login.loginID, accountID: accountID, kdfProfile: profile,
                                                      saltAUK: saltAUK, saltSRP: saltSRP, serverPublic: Base64URL.encode(server.publicValue)))
    }

    func finish(_ request: Request, _ context: SeclabRequestContext) async throws -> Response {
        let body = try await JSONBody.decode(SRPFinishRequest.self, from: request, limit: services.config.maxBodyBytes)
        let now = Clock.nowMillis()
        let address = context.clientAddress
        guard let pending = try await services.database.read({ tx in try await tx.login(id: body.loginID) }) else {
            return try unknownLogin(context: context, now: now)
        }
        // Why an unknown login id is not a failure of anyone's: login ids are random and
        // single use, so a bad one guesses nothing. It used to count against the address and
        // 60 of them locked every login and pull from that address out; now it
        // only spends the address's failure rate and one aggregated audit count.
        try await services.checkThrottle(keys: Services.loginKeys(accountID: pending.accountID, context: context), kind: "srp",
                                         audit: attempt(pending.isDecoy == 0 ? pending.accountID : nil, context: context, now: now), now: now)
        // Single use: whoever deletes the row owns the attempt (spec §8).
        guard let login = try await services.database.write({ tx in try await tx.takeLogin(id: body.loginID) }), login.expiresAt > now else {
            return try unknownLogin(context: context, now: now)
        }
        let serverProof = login.serverProof(for: try WireCheck.bytes(body.clientProof, count: 32, field: "client_proof"))
        // A decoy can never succeed, whatever the arithmetic said.
        guard let serverProof, login.isDecoy == 0 else {
            return try await failed(login, context: context, now: now)
        }
        let (token, tokenHash) = SessionTokens.generate()
        let session = SessionRecord(tokenHash: tokenHash, accountID: login.accountID, createdAt: now, lastUsedAt: now,
                                    expiresAt: now + services.config.sessionAbsoluteMillis)
        let account = try await services.database.write { tx -> AccountRecord? in
            guard let account = try await tx.account(id: login.accountID) else { return nil }
            try await tx.insertSession(session)
            // A success clears its own counters, not the address's (which counts every identity).
            try await tx.clearFailures(keys: [.accountAddress(login.accountID, context.throttleSubject), .account(login.accountID)])
            try await tx.audit(AuditRecord(time: now, actorID: login.accountID, actorKind: .account, action: .authSRP,
                                           clientAddress: address, outcome: .ok))
            return account
        }
        guard let account else { throw APIError.authFailed }
        return try JSONBody.response(SRPFinishResponse(
            serverProof: Base64URL.encode(serverProof), sessionToken: token, expiresAt: Clock.rfc3339(session.expiresAt),
            account: AccountKeySet(accountID: account.accountID, email: account.email, kdfProfile: account.kdfProfile,
                                   saltAUK: account.saltAUK, publicKey: account.publicKey, encPrivateKey: account.encPrivateKey)))
    }

    /// The audit row of a login attempt on `accountID` (nil: unknown e-mail or login).
    private func attempt(_ accountID: String?, context: SeclabRequestContext, now: Int64) -> AuditRecord {
        AuditRecord(time: now, actorID: accountID, actorKind: accountID == nil ? .anonymous : .account, action: .authSRP,
                    clientAddress: context.clientAddress, outcome: .failed)
    }

    /// An unknown, used or expired login id: 401 (429 once the address's failure rate is
    /// spent), counted in the aggregated audit.
    private func unknownLogin(context: SeclabRequestContext, now: Int64) throws -> Response {
        let audit = attempt(nil, context: context, now: now)
        try services.checkFailureRate(context, kind: "srp", audit: audit)
        services.noteFailure(context, kind: "srp", audit: audit)
        throw APIError.authFailed
    }

    /// A wrong proof: count it against the account from this address, the account and the
    /// address (each with its policy), audit it, answer like a wrong passphrase. Decoys count
    /// the same way, so throttling does not tell known e-mails from unknown ones; their audit
    /// is aggregated (nobody owns a decoy).
    private func failed(_ login: LoginRecord, context: SeclabRequestContext, now: Int64) async throws -> Response {
        services.metrics.authFailure(kind: "srp")
        let keys = services.loginFailureKeys(accountID: login.accountID, context: context)
        let audit = attempt(login.isDecoy == 0 ? login.accountID : nil, context: context, now: now)
        try await services.database.write { tx in
            try await tx.recordFailure(keys: keys, now: now)
            if login.isDecoy == 0 { try await tx.audit(audit) }
        }
        if login.isDecoy != 0 { services.aggregatedAudit.note(audit) }
        throw APIError.authFailed
    }
}
