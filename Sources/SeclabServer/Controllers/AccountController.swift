import Hummingbird
import SeclabAPI
import SeclabStore

/// `/v1/accounts`, `/v1/account/passphrase`, `/v1/auth/logout`.
struct AccountController {
    let services: Services

    /// Register registration, open to anyone (rate limited).
    func register(on router: Router<SeclabRequestContext>) {
        router.post("/v1/accounts") { request, context in try await self.create(request, context) }
    }

    /// Register the routes of a signed-in account on the session group.
    func registerSessionRoutes(on router: some RouterMethods<SeclabRequestContext>) {
        router.get("/v1/accounts/lookup") { request, context in try await self.lookup(request, context) }
        router.put("/v1/account/passphrase") { request, context in try await self.changePassphrase(request, context) }
        router.post("/v1/auth/logout") { request, context in try await self.logout(request, context) }
    }

    func create(_ request: Request, _ context: SeclabRequestContext) async throws -> Response {
        // Open registration is rate limited per address and per server, which
        // bounds both account floods and how fast 409s can test which e-mails are taken.
        guard services.rates.registration.take(context.throttleSubject) else {
            throw services.limited(kind: "register", audit: AuditRecord(time: Clock.nowMillis(), actorID: nil, actorKind: .anonymous,
                                                                       action: .accountCreate, clientAddress: context.clientAddress, outcome: .limited))
        }
        let body = try await JSONBody.decode(RegisterAccountRequest.self, from: request, limit: services.config.maxBodyBytes)
        let now = Clock.nowMillis()
        let record = AccountRecord(
            accountID: body.accountID, email: try WireCheck.email(body.email, field: "email"), kdfProfile: body.kdfProfile,
            saltAUK: body.saltAUK, saltSRP: body.saltSRP, srpVerifier: body.srpVerifier, publicKey: body.publicKey,
            encPrivateKey: body.encPrivateKey, createdAt: now, updatedAt: now)
        let address = context.clientAddress
        do {
            try await services.database.write { tx in
                try await tx.insertAccount(record)
                try await tx.audit(AuditRecord(time: now, actorID: record.accountID, actorKind: .account, action: .accountCreate,
                                               clientAddress: address, outcome: .ok))
            }
        } catch let error as StoreError { throw APIError.from(error) }
        return try JSONBody.response(RegisterAccountResponse(accountID: record.accountID), status: .created)
    }

    func lookup(_ request: Request, _ context: SeclabRequestContext) async throws -> Response {
        let principal = try context.requireAccount()
        // A lookup answers whether an e-mail has an account; it needs a session
        // and is rate limited per account, so enumerating e-mails is slow and attributable.
        guard services.rates.lookup.take(principal.accountID) else {
            throw services.limited(kind: "lookup", audit: Services.event(principal, .accountLookup, context: context, outcome: .limited,
                                                                        now: Clock.nowMillis()))
        }
        guard let raw = request.uri.queryParameters["email"] else { throw APIError.badRequest(field: "email", "query parameter is required") }
        // Why the catch: a field error thrown as is would be a bare 500 (found by scripts/api-fuzz).
        let email: String
        do { email = try WireCheck.email(String(raw), field: "email") } catch { throw APIError.badRequest(error) }
        guard let account = try await services.database.read({ tx in try await tx.account(email: email) }) else {
            throw APIError.notFound("account")
        }
        return try JSONBody.response(AccountLookupResponse(accountID: account.accountID, publicKey: account.publicKey))
    }

    func changePassphrase(_ request: Request, _ context: SeclabRequestContext) async throws -> Response {
        let principal = try context.requireAccount()
        let body = try await JSONBody.decode(ChangePassphraseRequest.self, from: request, limit: services.config.maxBodyBytes)
        let now = Clock.nowMillis()
        // validate() guarantees the proof is there; a token alone never changes the passphrase.
        guard let proof = body.proof else { throw APIError.badRequest(field: "proof", "required") }
        try await services.withFreshProof(proof, accountID: principal.accountID, context: context, now: now) { tx in
            try await tx.replacePassphrase(accountID: principal.accountID, kdfProfile: body.kdfProfile, saltAUK: body.saltAUK,
                                           saltSRP: body.saltSRP, srpVerifier: body.srpVerifier, encPrivateKey: body.encPrivateKey,
                                           keepTokenHash: principal.tokenHash, now: now)
            try await tx.audit(Services.event(principal, .accountPassphrase, context: context, now: now))
        }
        return Response(status: .noContent)
    }

    func logout(_ request: Request, _ context: SeclabRequestContext) async throws -> Response {
        let principal = try context.requireAccount()
        let now = Clock.nowMillis()
        try await services.database.write { tx in
            try await tx.deleteSession(tokenHash: principal.tokenHash)
            try await tx.audit(Services.event(principal, .authLogout, context: context, now: now))
        }
        return Response(status: .noContent)
    }
}

