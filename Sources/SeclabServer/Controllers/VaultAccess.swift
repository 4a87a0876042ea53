import Hummingbird
import SeclabAPI
import SeclabStore

/// One account route on one vault: who asks (from the request context), which vault (the
/// `vault_id` path parameter) and the one audit action the route performs. The action is said
/// once: the access check audits its denial with it, and the change audits its row with it.
struct VaultRoute: Sendable {
    /// The caller, authenticated by `SessionAuthMiddleware`.
    let account: AccountPrincipal
    /// The path's vault id (a lowercase UUID).
    let vaultID: String
    /// What the route does, as its audit rows name it.
    let action: AuditAction
    /// The request's context: path parameters and the client address audit rows record.
    let context: SeclabRequestContext

    /// The caller and the path's vault (401 without a session, then 400 for a bad vault id).
    init(_ context: SeclabRequestContext, _ action: AuditAction) throws {
        self.init(account: try context.requireAccount(), vaultID: try Services.pathID(context, "vault_id"), action: action, context: context)
    }

    /// Memberwise.
    init(account: AccountPrincipal, vaultID: String, action: AuditAction, context: SeclabRequestContext) {
        self.account = account; self.vaultID = vaultID; self.action = action; self.context = context
    }

    /// The route's audit row on its vault.
    func event(slotID: String? = nil, target: String? = nil, keyRefs: [String] = [], outcome: AuditOutcome = .ok,
               detail: String? = nil, now: Int64) -> AuditRecord {
        Services.event(account, action, context: context, vaultID: vaultID, slotID: slotID, target: target, keyRefs: keyRefs,
                       outcome: outcome, detail: detail, now: now)
    }
}

extension Services {
    /// A path parameter that must be a lowercase UUID.
    static func pathID(_ context: SeclabRequestContext, _ name: String) throws -> String {
        guard let value = context.parameters.get(name) else { throw APIError.badRequest(field: name, "missing") }
        do { return try WireCheck.id(value, field: name) } catch { throw APIError.badRequest(error) }
    }

    /// The caller's access to the route's live vault. "Not there", "deleted", "no slot" and "a
    /// share not accepted yet" are one 404 (denials do not reveal existence); a share holder
    /// asking for more than its slot allows already knows the vault, so it gets a 403 naming
    /// why. Every denial is audited (counted per window).
    func authorize(_ route: VaultRoute, need: VaultPermission) async throws -> VaultAccess {
        let access = try await database.read { tx in try await tx.vaultAccess(vaultID: route.vaultID, accountID: route.account.accountID) }
        guard let access, need.allows(access) else {
            // Aggregated: a removed share holder repeating a read must not fill
            // the vault's log; the owner sees one row per window with its count.
            aggregatedAudit.note(route.event(outcome: .denied, now: Clock.nowMillis()))
            if access == nil { throw APIError.notFound("vault") }
            throw APIError.forbidden(need.refusal)
        }
        return access
    }

    /// Run `body` in a write transaction that first re-checks the caller's access under the
    /// same transaction, so a slot removed (or a role lowered) concurrently cannot slip through.
    func writeInVault<R: Sendable>(_ route: VaultRoute, need: VaultPermission, _ body: @escaping @Sendable (Transaction, VaultAccess) async throws -> R) async throws -> R {
        try await writeInVault(route.vaultID, principal: route.account, need: need, body)
    }

    /// `writeInVault` by vault id and caller.
    func writeInVault<R: Sendable>(_ vaultID: String, principal: AccountPrincipal, need: VaultPermission, _ body: @escaping @Sendable (Transaction, VaultAccess) async throws -> R) async throws -> R {
        do {
            return try await database.write { tx in
                guard let access = try await tx.vaultAccess(vaultID: vaultID, accountID: principal.accountID, lock: true),
                      need.allows(access) else { throw StoreError.notFound("vault") }
                return try await body(tx, access)
            }
        } catch let error as StoreError { throw APIError.from(error) }
    }

    /// `DELETE …/{machines|shares}/{slot_id}`: the owner removes one slot of `kind`, and the
    /// removal and its audit row commit together (revocation is immediate on every replica).
    func deleteSlot(_ route: VaultRoute, kind: SlotKind) async throws -> Response {
        let slotID = try Self.pathID(route.context, "slot_id")
        _ = try await authorize(route, need: .owner)
        let now = Clock.nowMillis()
        try await writeInVault(route, need: .owner) { tx, _ in
            guard try await tx.deleteSlot(vaultID: route.vaultID, slotID: slotID, kind: kind, now: now) else { throw StoreError.notFound("slot") }
            try await tx.audit(route.event(slotID: slotID, now: now))
        }
        return Response(status: .noContent)
    }
}

/// What a route needs of the caller's slot in a vault.
///
/// Why roles are checked here, on the server: a read-only share must not be able to plant
/// names or values a pipeline will run with (docs/security.md, "who chooses the names"); the
/// client cannot enforce that for other people's clients.
enum VaultPermission: Sendable {
    /// Read the vault's items: any accepted slot.
    case read
    /// Change items: the owner, or a share with role `write`.
    case writeItems
    /// Slots, machines, rekey, delete and the audit log: the owner only.
    case owner

    func allows(_ access: VaultAccess) -> Bool {
        switch self {
        case .read: return true
        case .writeItems: return access.canWriteItems
        case .owner: return access.kind == SlotKind.owner.rawValue
        }
    }

    var refusal: String {
        switch self {
        case .read, .owner: return "only the vault's owner may do this"
        case .writeItems: return "this vault was shared with you read-only; ask its owner for a write share"
        }
    }
}
