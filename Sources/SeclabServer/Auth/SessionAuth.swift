import Hummingbird
import SeclabAPI
import SeclabFormat
import SeclabPrimitives
import SeclabStore

/// A human caller, authenticated by a bearer session token (spec §9).
struct AccountPrincipal: Sendable {
    let accountID: String
    /// b64u H(token): identifies the session without holding the token.
    let tokenHash: String
}

/// Session tokens through the shared `SessionToken` (spec §9): 32 random bytes, b64u on the
/// wire; only b64u(SHA-256(token)) is stored, so a database leak yields no usable token.
enum SessionTokens {
    static func generate() -> (token: String, hash: String) {
        let token = SessionToken.generate()
        return (token.text, Base64URL.encode(token.hash))
    }

    /// H(token) of a bearer text, or nil when the text is not a 32-byte b64u token.
    static func hash(of text: Substring) -> String? {
        guard let token = try? SessionToken(text: text) else { return nil }
        return Base64URL.encode(token.hash)
    }
}

extension Services {
    /// The session behind `Authorization: Bearer …`, or 401. A failed attempt is counted in
    /// the aggregated audit and against the address's failure rate (429 once spent,
    /// docs/security.md "floods"); the idle clock restarts at most once a minute (one write, not one per request).
    func requireAccount(_ request: Request, context: SeclabRequestContext) async throws -> AccountPrincipal {
        let now = Clock.nowMillis()
        guard let header = request.headers[.authorization], header.hasPrefix("Bearer "),
              let tokenHash = SessionTokens.hash(of: header.dropFirst("Bearer ".count)) else {
            try sessionFailure(context: context, now: now)
        }
        let idle = config.sessionIdleMillis
        guard let session = try await database.read({ tx in try await tx.session(tokenHash: tokenHash, now: now, idleMillis: idle) }) else {
            try sessionFailure(context: context, now: now)
        }
        if now - session.lastUsedAt > 60_000 {
            try await database.write { tx in try await tx.touchSession(tokenHash: tokenHash, now: now) }
        }
        return AccountPrincipal(accountID: session.accountID, tokenHash: tokenHash)
    }

    private func sessionFailure(context: SeclabRequestContext, now: Int64) throws -> Never {
        let audit = AuditRecord(time: now, actorID: nil, actorKind: .anonymous, action: .authSession,
                                clientAddress: context.clientAddress, outcome: .failed)
        try checkFailureRate(context, kind: "session", audit: audit)
        noteFailure(context, kind: "session", audit: audit)
        throw APIError.unauthorized
    }
}

/// Hummingbird's authenticator idiom: the routes that need a session sit in one router group
/// behind this middleware, which checks the bearer token once (`requireAccount`, 401 or 429
/// before the handler runs) and puts the account in the request context.
struct SessionAuthMiddleware: RouterMiddleware {
    typealias Context = SeclabRequestContext
    let services: Services

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        var context = context
        context.account = try await services.requireAccount(request, context: context)
        return try await next(request, context)
    }
}

extension SeclabRequestContext {
    /// The account `SessionAuthMiddleware` authenticated. A handler registered outside the
    /// session group has none and answers 401 (fail closed), never runs unauthenticated.
    func requireAccount() throws -> AccountPrincipal {
        guard let account else { throw APIError.unauthorized }
        return account
    }
}
