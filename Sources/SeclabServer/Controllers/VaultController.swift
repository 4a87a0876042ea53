import Hummingbird
import SeclabAPI
import SeclabStore

/// `/v1/vaults`: create, list, delete, the slot list, share slots and rekey (the audit log: `AuditController`).
struct VaultController {
    let services: Services

    /// Register on the session group: every route here needs a signed-in account.
    func register(on router: some RouterMethods<SeclabRequestContext>) {
        router.post("/v1/vaults") { request, context in try await self.create(request, context) }
        router.get("/v1/vaults") { request, context in try await self.list(request, context) }
        router.delete("/v1/vaults/:vault_id") { request, context in try await self.delete(request, context) }
        router.get("/v1/vaults/:vault_id/slots") { request, context in try await self.slots(request, context) }
        router.post("/v1/vaults/:vault_id/shares") { request, context in try await self.share(request, context) }
        router.delete("/v1/vaults/:vault_id/shares/:slot_id") { request, context in try await self.unshare(request, context) }
        router.post("/v1/vaults/:vault_id/rekey") { request, context in try await self.rekey(request, context) }
    }

    func create(_ request: Request, _ context: SeclabRequestContext) async throws -> Response {
        let principal = try context.requireAccount()
        let body = try await JSONBody.decode(CreateVaultRequest.self, from: request, limit: services.config.maxBodyBytes)
        let now = Clock.nowMillis()
        let vault = VaultRecord(vaultID: body.vaultID, ownerAccountID: principal.accountID, encName: body.encName,
                                wrappedIndexKey: body.wrappedIndexKey, createdAt: now, updatedAt: now)
        let slot = SlotRecord(slotID: body.ownerSlot.slotID, vaultID: body.vaultID, kind: .owner, accountID: principal.accountID,
                              grantedBy: principal.accountID, wrappedVK: body.ownerSlot.wrappedVK, createdAt: now)
        do {
            try await services.database.write { tx in
                try await tx.insertVault(vault, ownerSlot: slot)
                try await tx.audit(Services.event(principal, .vaultCreate, context: context, vaultID: vault.vaultID, slotID: slot.slotID, now: now))
            }
        } catch let error as StoreError { throw APIError.from(error) }
        return try JSONBody.response(try await summary(vaultID: vault.vaultID, principal: principal), status: .created)
    }

    func summary(vaultID: String, principal: AccountPrincipal) async throws -> VaultSummary {
        let rows = try await services.database.read { tx in try await tx.vaults(accountID: principal.accountID) }
        guard let row = rows.first(where: { $0.vaultID == vaultID }) else { throw APIError.notFound("vault") }
        return Self.view(row)
    }

    static func view(_ row: VaultWithSlot) -> VaultSummary {
        VaultSummary(vaultID: row.vaultID, ownerAccountID: row.ownerAccountID, encName: row.encName,
                     wrappedIndexKey: row.wrappedIndexKey, slot: slotView(row))
    }

    static func slotView(_ row: VaultWithSlot) -> SlotView {
        SlotView(slotID: row.slotID, kind: row.kind, accountID: row.accountID, wrappedVK: row.wrappedVK, grantedBy: row.grantedBy,
                 grantedByPublicKey: row.grantedByPublicKey, createdAt: Clock.rfc3339(row.createdAt), grantedByEmail: row.grantedByEmail,
                 role: row.kind == SlotKind.owner.rawValue ? "owner" : row.role, accepted: row.acceptedAt != nil)
    }

    func list(_ request: Request, _ context: SeclabRequestContext) async throws -> Response {
        let principal = try context.requireAccount()
        let rows = try await services.database.read { tx in try await tx.vaults(accountID: principal.accountID) }
        return try JSONBody.response(VaultList(vaults: rows.map(Self.view)))
    }

    func delete(_ request: Request, _ context: SeclabRequestContext) async throws -> Response {
        let route = try VaultRoute(context, .vaultDelete)
        _ = try await services.authorize(route, need: .owner)
        let now = Clock.nowMillis()
        try await services.writeInVault(route, need: .owner) { tx, _ in
            try await tx.tombstoneVault(id: route.vaultID, now: now)
            try await tx.audit(route.event(now: now))
        }
        return Response(status: .noContent)
    }

    func slots(_ request: Request, _ context: SeclabRequestContext) async throws -> Response {
        let route = try VaultRoute(context, .slotList)
        _ = try await services.authorize(route, need: .owner)
        let vaultID = route.vaultID
        let (humans, machines) = try await services.database.read { tx in
            (try await tx.humanSlots(vaultID: vaultID), try await tx.machineSlots(vaultID: vaultID))
        }
        return try JSONBody.response(SlotList(slots: humans.map(Self.slotView), machines: machines.map(MachineController.view)))
    }

    func share(_ request: Request, _ context: SeclabRequestContext) async throws -> Response {
        let route = try VaultRoute(context, .shareCreate)
        _ = try await services.authorize(route, need: .owner)
        let (principal, vaultID) = (route.account, route.vaultID)
        let body = try await JSONBody.decode(CreateShareRequest.self, from: request, limit: services.config.maxBodyBytes)
        // Why read by default: whoever can write a vault chooses the names and values every
        // pipeline pulling it runs with (docs/security.md); writing is granted, never assumed.
        let role = body.role.flatMap(ShareRole.init(rawValue:)) ?? .read
        let now = Clock.nowMillis()
        try await services.writeInVault(route, need: .owner) { tx, _ in
            guard body.accountID != principal.accountID else { throw StoreError.duplicate("a slot for this account in this vault") }
            guard try await tx.account(id: body.accountID) != nil else { throw StoreError.notFound("account") }
            // The share is an invitation: it opens nothing until its recipient accepts it.
            try await tx.insertSlot(SlotRecord(slotID: body.slotID, vaultID: vaultID, kind: .share, accountID: body.accountID,
                                               grantedBy: principal.accountID, wrappedVK: body.wrappedVK, createdAt: now, role: role))
            try await tx.audit(route.event(slotID: body.slotID, target: body.accountID, detail: "role=\(role.rawValue)", now: now))
        }
        let rows = try await services.database.read { tx in try await tx.humanSlots(vaultID: vaultID) }
        guard let row = rows.first(where: { $0.slotID == body.slotID }) else { throw APIError.notFound("slot") }
        return try JSONBody.response(Self.slotView(row), status: .created)
    }

    func unshare(_ request: Request, _ context: SeclabRequestContext) async throws -> Response {
        try await services.deleteSlot(VaultRoute(context, .shareDelete), kind: .share)
    }

    func rekey(_ request: Request, _ context: SeclabRequestContext) async throws -> Response {
        let route = try VaultRoute(context, .vaultRekey)
        _ = try await services.authorize(route, need: .owner)
        let (principal, vaultID) = (route.account, route.vaultID)
        let body = try await JSONBody.decode(RekeyRequest.self, from: request, limit: services.config.maxRekeyBodyBytes)
        try ItemController.checkLimits(items: body.items.count, bytes: body.items.reduce(0) { $0 + $1.encName.utf8.count + $1.encValue.utf8.count },
                                       maxItems: services.config.vaultMaxItems, maxBytes: services.config.vaultMaxBytes)
        let now = Clock.nowMillis()
        let slots = body.slots.map { SlotRekey(slotID: $0.slotID, wrappedVK: $0.wrappedVK, unwrapKeyEscrow: $0.unwrapKeyEscrow, encLabel: $0.encLabel) }
        let items = body.items.map { ItemRecord(keyRef: $0.keyRef, encName: $0.encName, encValue: $0.encValue, updatedAt: now, deleted: false) }
        try await services.writeInVault(route, need: .owner) { tx, _ in
            try await tx.rekeyVault(vaultID: vaultID, ownerAccountID: principal.accountID, encName: body.encName,
                                    wrappedIndexKey: body.wrappedIndexKey, slots: slots, items: items, now: now)
            try await tx.audit(route.event(now: now))
        }
        return Response(status: .noContent)
    }
}
