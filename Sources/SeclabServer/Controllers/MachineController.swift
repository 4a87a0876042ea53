import Hummingbird
import SeclabAPI
import SeclabOIDC
import SeclabPrimitives
import SeclabStore

/// Machine slots as their owner manages them (spec §6.2): create, list, revoke. The pull
/// itself is in `Pull/`.
struct MachineController {
    let services: Services

    func register(on router: some RouterMethods<SeclabRequestContext>) {
        router.post("/v1/vaults/:vault_id/machines") { request, context in try await self.create(request, context) }
        router.get("/v1/vaults/:vault_id/machines") { request, context in try await self.list(request, context) }
        router.delete("/v1/vaults/:vault_id/machines/:slot_id") { request, context in try await self.revoke(request, context) }
    }

    static func view(_ slot: SlotRecord) -> MachineSlotView {
        MachineSlotView(slotID: slot.slotID, encLabel: slot.encLabel ?? "", wrappedVK: slot.wrappedVK,
                        unwrapKeyEscrow: slot.unwrapKeyEscrow ?? "", createdAt: Clock.rfc3339(slot.createdAt),
                        lastUsedAt: slot.lastUsedAt.map(Clock.rfc3339), oidcBinding: PullState.binding(storageText: slot.oidcPolicy))
    }

    func create(_ request: Request, _ context: SeclabRequestContext) async throws -> Response {
        let route = try VaultRoute(context, .machineCreate)
        _ = try await services.authorize(route, need: .owner)
        let body = try await JSONBody.decode(CreateMachineSlotRequest.self, from: request, limit: services.config.maxBodyBytes)
        // spec §6.2: the server keeps only crypto_pwhash_str(auth_secret, m1); the secret
        // itself is wiped with the request and never logged or stored.
        // A binding is checked (trusted issuer, at least one claim) before any work
        // (docs/security.md, "CI identity binding").
        let policy = try body.oidcBinding.map { try services.pull.policy(for: $0) }
        let secret = SecretBytes(copying: try WireCheck.bytes(body.authSecret, count: 32, field: "auth_secret"))
        let authHash = try await services.pull.authenticator.hash(secret)
        let now = Clock.nowMillis()
        let slot = SlotRecord(slotID: body.slotID, vaultID: route.vaultID, kind: .machine, accountID: nil, grantedBy: route.account.accountID,
                              wrappedVK: body.wrappedVK, encLabel: body.encLabel, unwrapKeyEscrow: body.unwrapKeyEscrow,
                              authHash: authHash, createdAt: now, oidcPolicy: policy?.storageText)
        try await services.writeInVault(route, need: .owner) { tx, _ in
            try await tx.insertSlot(slot)
            // The policy is audited with the slot it binds.
            try await tx.audit(route.event(slotID: slot.slotID, detail: policy.map { "oidc_policy=\($0.storageText)" }, now: now))
        }
        return try JSONBody.response(Self.view(slot), status: .created)
    }

    func list(_ request: Request, _ context: SeclabRequestContext) async throws -> Response {
        let route = try VaultRoute(context, .machineList)
        _ = try await services.authorize(route, need: .owner)
        let vaultID = route.vaultID
        let slots = try await services.database.read { tx in try await tx.machineSlots(vaultID: vaultID) }
        return try JSONBody.response(MachineSlotList(machines: slots.map(Self.view)))
    }

    func revoke(_ request: Request, _ context: SeclabRequestContext) async throws -> Response {
        try await services.deleteSlot(try VaultRoute(context, .machineRevoke), kind: .machine)
    }
}
