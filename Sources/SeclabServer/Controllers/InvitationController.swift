import Hummingbird
import SeclabAPI
import SeclabStore

/// Shares are invitations (docs/security.md, "shares are invitations"): a share slot opens
/// nothing, and is not listed among the recipient's vaults, until the recipient accepts it.
///
/// Why: anyone who knows an e-mail can share a vault to it. Before invitations, a share of a
/// garbage wrap broke every vault command of its recipient, and a stranger's vault named like
/// one of the recipient's could receive the recipient's writes.
struct InvitationController {
    let services: Services

    func register(on router: Router<SeclabRequestContext>) {
        router.get("/v1/invitations") { request, context in try await self.list(request, context) }
        router.post("/v1/vaults/:vault_id/accept") { request, context in try await self.accept(request, context) }
        router.post("/v1/vaults/:vault_id/decline") { request, context in try await self.decline(request, context) }
    }

    /// `GET /v1/invitations`: the shares offered to the caller, with who offered them.
    func list(_ request: Request, _ context: SeclabRequestContext) async throws -> Response {
        let principal = try await services.requireAccount(request, context: context)
        let rows = try await services.database.read { tx in try await tx.invitations(accountID: principal.accountID) }
        return try JSONBody.response(InvitationList(invitations: rows.map(VaultController.view)))
    }

    /// `POST /v1/vaults/{vault_id}/accept`: the pending share becomes the caller's vault.
    func accept(_ request: Request, _ context: SeclabRequestContext) async throws -> Response {
        let principal = try await services.requireAccount(request, context: context)
        let vaultID = try Services.pathID(context, "vault_id")
        let now = Clock.nowMillis()
        let accepted = try await services.database.write { tx -> String? in
            guard let slotID = try await tx.acceptShare(vaultID: vaultID, accountID: principal.accountID, now: now) else { return nil }
            try await tx.audit(Services.event(principal, "share.accept", context: context, vaultID: vaultID, slotID: slotID, now: now))
            return slotID
        }
        guard accepted != nil else {
            try await services.auditAlone(Services.event(principal, "share.accept", context: context, vaultID: vaultID, outcome: "denied", now: now))
            throw APIError.notFound("invitation")
        }
        let rows = try await services.database.read { tx in try await tx.vaults(accountID: principal.accountID) }
        guard let row = rows.first(where: { $0.vaultID == vaultID }) else { throw APIError.notFound("vault") }
        return try JSONBody.response(VaultController.view(row))
    }

    /// `POST /v1/vaults/{vault_id}/decline`: remove the caller's own share of a vault, pending
    /// (decline) or accepted (leave). The owner's slot cannot be declined.
    func decline(_ request: Request, _ context: SeclabRequestContext) async throws -> Response {
        let principal = try await services.requireAccount(request, context: context)
        let vaultID = try Services.pathID(context, "vault_id")
        let now = Clock.nowMillis()
        let removed = try await services.database.write { tx -> String? in
            guard let slotID = try await tx.removeOwnShare(vaultID: vaultID, accountID: principal.accountID, now: now) else { return nil }
            try await tx.audit(Services.event(principal, "share.decline", context: context, vaultID: vaultID, slotID: slotID, now: now))
            return slotID
        }
        guard removed != nil else {
            try await services.auditAlone(Services.event(principal, "share.decline", context: context, vaultID: vaultID, outcome: "denied", now: now))
            throw APIError.notFound("share")
        }
        return Response(status: .noContent)
    }
}
