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

    /// Register on the session group: every route here needs a signed-in account.
    func register(on router: some RouterMethods<SeclabRequestContext>) {
        router.get("/v1/invitations") { request, context in try await self.list(request, context) }
        router.post("/v1/vaults/:vault_id/accept") { request, context in try await self.accept(request, context) }
        router.post("/v1/vaults/:vault_id/decline") { request, context in try await self.decline(request, context) }
    }

    /// `GET /v1/invitations`: the shares offered to the caller, with who offered them.
    func list(_ request: Request, _ context: SeclabRequestContext) async throws -> Response {
        let principal = try context.requireAccount()
        let rows = try await services.database.read { tx in try await tx.invitations(accountID: principal.accountID) }
        return try JSONBody.response(InvitationList(invitations: rows.map(VaultController.view)))
    }

    /// `POST /v1/vaults/{vault_id}/accept`: the pending share becomes the caller's vault.
    func accept(_ request: Request, _ context: SeclabRequestContext) async throws -> Response {
        let route = try await changeOwnShare(VaultRoute(context, .shareAccept), missing: "invitation") { tx, accountID, vaultID, now in
            try await tx.acceptShare(vaultID: vaultID, accountID: accountID, now: now)
        }
        let rows = try await services.database.read { tx in try await tx.vaults(accountID: route.account.accountID) }
        guard let row = rows.first(where: { $0.vaultID == route.vaultID }) else { throw APIError.notFound("vault") }
        return try JSONBody.response(VaultController.view(row))
    }

    /// `POST /v1/vaults/{vault_id}/decline`: remove the caller's own share of a vault, pending
    /// (decline) or accepted (leave). The owner's slot cannot be declined.
    func decline(_ request: Request, _ context: SeclabRequestContext) async throws -> Response {
        _ = try await changeOwnShare(VaultRoute(context, .shareDecline), missing: "share") { tx, accountID, vaultID, now in
            try await tx.removeOwnShare(vaultID: vaultID, accountID: accountID, now: now)
        }
        return Response(status: .noContent)
    }

    /// Change the caller's own share of the route's vault with `change` (which returns the slot
    /// id it changed, nil when there was none) and audit it in the same transaction; a miss is
    /// a 404 naming `missing`, audited (counted) as a denial.
    private func changeOwnShare(_ route: VaultRoute, missing: String,
                                _ change: @escaping @Sendable (Transaction, String, String, Int64) async throws -> String?) async throws -> VaultRoute {
        let now = Clock.nowMillis()
        let changed = try await services.database.write { tx -> String? in
            guard let slotID = try await change(tx, route.account.accountID, route.vaultID, now) else { return nil }
            try await tx.audit(route.event(slotID: slotID, now: now))
            return slotID
        }
        guard changed != nil else {
            services.aggregatedAudit.note(route.event(outcome: .denied, now: now))
            throw APIError.notFound(missing)
        }
        return route
    }
}
