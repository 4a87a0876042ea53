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
        let (principal, vaultID) = try await changeOwnShare(request, context, action: "share.accept", missing: "invitation") { tx, accountID, vaultID, now in
            try await tx.acceptShare(vaultID: vaultID, accountID: accountID, now: now)
        }
        let rows = try await services.database.read { tx in try await tx.vaults(accountID: principal.accountID) }
        guard let row = rows.first(where: { $0.vaultID == vaultID }) else { throw APIError.notFound("vault") }
        return try JSONBody.response(VaultController.view(row))
    }

    /// `POST /v1/vaults/{vault_id}/decline`: remove the caller's own share of a vault, pending
    /// (decline) or accepted (leave). The owner's slot cannot be declined.
    func decline(_ request: Request, _ context: SeclabRequestContext) async throws -> Response {
        _ = try await changeOwnShare(request, context, action: "share.decline", missing: "share") { tx, accountID, vaultID, now in
            try await tx.removeOwnShare(vaultID: vaultID, accountID: accountID, now: now)
        }
        return Response(status: .noContent)
    }

    /// Change the caller's own share of the path's vault with `change` (which returns the slot
    /// id it changed, nil when there was none) and audit it in the same transaction; a miss is
    /// a 404 naming `missing`, audited (counted) as a denial.
    private func changeOwnShare(_ request: Request, _ context: SeclabRequestContext, action: String, missing: String,
                                _ change: @escaping @Sendable (Transaction, String, String, Int64) async throws -> String?) async throws -> (AccountPrincipal, String) {
        let principal = try await services.requireAccount(request, context: context)
        let vaultID = try Services.pathID(context, "vault_id")
        let now = Clock.nowMillis()
        let changed = try await services.database.write { tx -> String? in
            guard let slotID = try await change(tx, principal.accountID, vaultID, now) else { return nil }
            try await tx.audit(Services.event(principal, action, context: context, vaultID: vaultID, slotID: slotID, now: now))
            return slotID
        }
        guard changed != nil else {
            services.aggregatedAudit.note(Services.event(principal, action, context: context, vaultID: vaultID, outcome: "denied", now: now))
            throw APIError.notFound(missing)
        }
        return (principal, vaultID)
    }
}
