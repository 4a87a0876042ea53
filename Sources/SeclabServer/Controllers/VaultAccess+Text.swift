import Hummingbird
import SeclabAPI
import SeclabStore

/// `MachineController` still authenticates in its handlers and names its actions as text: it
/// moves to `Pull/` (issue 14 §2), which converts its calls to `VaultRoute` and deletes this
/// file. Each form here forwards to the typed one, so there is one access check and one row.
extension Services {
    /// The typed action of `text`; an unknown one is a 500 (fail closed), never an untyped row.
    static func action(_ text: String) throws -> AuditAction {
        guard let action = AuditAction(rawValue: text) else {
            throw APIError(.internalServerError, code: "internal", message: "internal error")
        }
        return action
    }

    /// `authorize` for a handler that authenticated `principal` itself.
    func requireVault(_ vaultID: String, principal: AccountPrincipal, context: SeclabRequestContext, action: String,
                      need: VaultPermission) async throws -> VaultAccess {
        try await authorize(VaultRoute(account: principal, vaultID: vaultID, action: Self.action(action), context: context), need: need)
    }

    /// `event` with the action as text.
    static func event(_ principal: AccountPrincipal, _ action: String, context: SeclabRequestContext, vaultID: String? = nil,
                      slotID: String? = nil, now: Int64) throws -> AuditRecord {
        event(principal, try Self.action(action), context: context, vaultID: vaultID, slotID: slotID, now: now)
    }

    /// `deleteSlot` for a route outside the session group: authenticates first, as before.
    func deleteSlot(_ request: Request, _ context: SeclabRequestContext, kind: SlotKind, action: String) async throws -> Response {
        var context = context
        context.account = try await requireAccount(request, context: context)
        return try await deleteSlot(VaultRoute(context, try Self.action(action)), kind: kind)
    }
}
