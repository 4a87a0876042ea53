import Hummingbird
import SeclabAPI
import SeclabPrimitives
import SeclabStore
import NIOCore
import NIOPosix

/// Machine slots (spec §6.2): create, list, revoke, and the one-request pull.
struct MachineController {
    let services: Services

    func register(on router: Router<SeclabRequestContext>) {
        router.post("/v1/vaults/:vault_id/machines") { request, context in try await self.create(request, context) }
        router.get("/v1/vaults/:vault_id/machines") { request, context in try await self.list(request, context) }
        router.delete("/v1/vaults/:vault_id/machines/:slot_id") { request, context in try await self.revoke(request, context) }
        router.post("/v1/machine/pull") { request, context in try await self.pull(request, context) }
    }

    static func view(_ slot: SlotRecord) -> MachineSlotView {
        MachineSlotView(slotID: slot.slotID, encLabel: slot.encLabel ?? "", wrappedVK: slot.wrappedVK,
                        unwrapKeyEscrow: slot.unwrapKeyEscrow ?? "", createdAt: Clock.rfc3339(slot.createdAt),
                        lastUsedAt: slot.lastUsedAt.map(Clock.rfc3339))
    }

    func create(_ request: Request, _ context: SeclabRequestContext) async throws -> Response {
        let principal = try await services.requireAccount(request, context: context)
        let vaultID = try Services.pathID(context, "vault_id")
        _ = try await services.requireVault(vaultID, principal: principal, context: context, action: "machine.create", need: .owner)
        let body = try await JSONBody.decode(CreateMachineSlotRequest.self, from: request, limit: services.config.maxBodyBytes)
        // spec §6.2: the server keeps only crypto_pwhash_str(auth_secret, m1); the secret
        // itself is wiped with the request and never logged or stored.
        let secret = SecretBytes(copying: try WireCheck.bytes(body.authSecret, count: 32, field: "auth_secret"))
        let authHash = try await services.machineAuth.hash(secret)
        let now = Clock.nowMillis()
        let slot = SlotRecord(slotID: body.slotID, vaultID: vaultID, kind: .machine, accountID: nil, grantedBy: principal.accountID,
                              wrappedVK: body.wrappedVK, encLabel: body.encLabel, unwrapKeyEscrow: body.unwrapKeyEscrow,
                              authHash: authHash, createdAt: now)
        try await services.writeInVault(vaultID, principal: principal, need: .owner) { tx, _ in
            try await tx.insertSlot(slot)
            try await tx.audit(Services.event(principal, "machine.create", context: context, vaultID: vaultID, slotID: slot.slotID, now: now))
        }
        return try JSONBody.response(Self.view(slot), status: .created)
    }

    func list(_ request: Request, _ context: SeclabRequestContext) async throws -> Response {
        let principal = try await services.requireAccount(request, context: context)
        let vaultID = try Services.pathID(context, "vault_id")
        _ = try await services.requireVault(vaultID, principal: principal, context: context, action: "machine.list", need: .owner)
        let slots = try await services.database.read { tx in try await tx.machineSlots(vaultID: vaultID) }
        return try JSONBody.response(MachineSlotList(machines: slots.map(Self.view)))
    }

    func revoke(_ request: Request, _ context: SeclabRequestContext) async throws -> Response {
        try await services.deleteSlot(request, context, kind: .machine, action: "machine.revoke")
    }

    /// `POST /v1/machine/pull`: authenticate the slot, then return its wrapped VK, the
    /// vault's wrapped index key and the items, in one round trip. A machine reads exactly its
    /// one vault and can write nothing: this is the only route it can call.
    ///
    /// The checks run cheapest first (issue 12 §5–6): header shape, then one read (slot and
    /// its throttle), then the address's rate of Argon2id failures, and only then Argon2id. An unknown slot
    /// is answered 401 without Argon2id and without a row of its own (aggregated audit); a
    /// known slot's failures are counted against that slot alone, so nobody else's pulls from
    /// the same address are blocked; a success clears the slot's counter.
    func pull(_ request: Request, _ context: SeclabRequestContext) async throws -> Response {
        let now = Clock.nowMillis()
        let address = context.clientAddress
        guard let credential = MachineAuthenticator.parse(request.headers[.authorization]) else {
            try noteAnonymousFailure(context, now: now)
            throw APIError(.unauthorized, code: "unauthorized", message: "expected Authorization: Machine <slot_id>.<auth_secret>",
                           headers: [.wwwAuthenticate: "Machine"])
        }
        let slotID = credential.slotID
        let throttleKey = ThrottleKey.slot(slotID)
        let bodyBytes = try await JSONBody.collect(request, limit: services.config.maxItemBodyBytes)
        if let fast = try await fastPull(bodyBytes, credential: credential, throttleKey: throttleKey, now: now, address: address) {
            return fast
        }
        // One read answers both questions asked before any Argon2id runs: is this slot
        // throttled (issue 3 §3), and which hash, vault and keys does the slot have.
        let state = try await services.database.read { tx in try await tx.machinePullState(slotID: slotID) }
        let audit = AuditRecord(time: now, actorID: slotID, actorKind: "machine", action: "auth.machine",
                                vaultID: state.slot?.vaultID, slotID: slotID, clientAddress: address, outcome: "failed")
        guard let knownSlot = state.slot else {
            // Unknown slot (or its vault is gone): no Argon2id, an aggregated count per address
            // (not per random id, which would make every request its own row), 401.
            try noteAnonymousFailure(context, now: now)
            throw APIError.authFailed
        }
        if state.blockedUntil > now { throw services.throttled(until: state.blockedUntil, kind: "machine", audit: audit, now: now) }
        let body = try JSONBody.decode(MachinePullRequest.self, from: bodyBytes)
        if services.machineAuth.cachedHash(credential, now: now) != knownSlot.authHash {
            // About to run Argon2id: an address whose wrong secrets have cost many runs waits.
            guard services.rates.argon2Failures.allows(context.throttleSubject) else {
                throw services.limited(kind: "machine", audit: audit)
            }
        }
        guard try await services.machineAuth.verify(credential, authHash: knownSlot.authHash, now: now, metrics: services.metrics) else {
            services.metrics.authFailure(kind: "machine")
            services.rates.argon2Failures.charge(context.throttleSubject)
            let policy = services.config.slotThrottle
            try await services.database.write { tx in
                try await tx.recordFailure(keys: [(throttleKey, policy)], now: now)
                try await tx.audit(audit)
            }
            throw APIError.authFailed
        }
        if state.hasFailures {
            try await services.database.write { tx in try await tx.clearFailures(keys: [throttleKey]) }
        }
        if let known = body.ifRevision {
            services.metrics.machinePoll(unchanged: known == knownSlot.revision)
            // Why no audit row and no items (issue 16 watch): the answer says only "still
            // revision N", which this authenticated slot already knew; the slot and its hash
            // were read in this request's own statement, so a revoked slot got 401 above.
            // Polls are counted in /metrics (seclab_machine_polls_total) instead.
            if known == knownSlot.revision { return Self.unchangedAnswer(revision: known) }
        }
        let keyRefs = body.keyRefs
        let (slot, items) = try await readItems(slot: knownSlot, keyRefs: keyRefs)
        services.pullCache.remember(slot)
        let pullRow = PullAudit(time: now, slotID: slotID, vaultID: slot.vaultID, keyRefs: keyRefs ?? [],
                              clientAddress: address, authHash: slot.authHash)
        // The audit row is written only while the slot still exists with the hash we verified:
        // a revocation committed through any replica since the read above refuses this pull
        // (issue 3 §2), and nothing is sent unless the audit row committed (fail closed).
        guard try await services.pullAudit.record(pullRow) else { throw APIError.authFailed }
        return Self.answer(slot, items: items, revision: body.ifRevision == nil ? nil : slot.revision)
    }

    /// The encoded items of `slot`'s vault (all, or those of `keyRefs`) and the slot state
    /// they belong with: from the pull cache at the slot's revision, else read and checked
    /// against the revision. If the vault changed meanwhile, its new state is read and the
    /// items again (three tries, then 503).
    /// A credential that names no machine slot (malformed, or an unknown slot id): 429 once the
    /// address's failure rate is spent, else one aggregated count per address (never a row per
    /// random id) before the caller answers 401.
    private func noteAnonymousFailure(_ context: SeclabRequestContext, now: Int64) throws {
        let audit = AuditRecord(time: now, actorID: nil, actorKind: "anonymous", action: "auth.machine",
                                clientAddress: context.clientAddress, outcome: "failed")
        try services.checkFailureRate(context, kind: "machine", audit: audit)
        services.noteFailure(context, kind: "machine", audit: audit)
    }

    private func readItems(slot: MachinePullState.Slot, keyRefs: [String]?) async throws -> (MachinePullState.Slot, ByteBuffer) {
        try await services.heavyReads.run { try await readItemsNow(slot: slot, keyRefs: keyRefs) }
    }

    private func readItemsNow(slot: MachinePullState.Slot, keyRefs: [String]?) async throws -> (MachinePullState.Slot, ByteBuffer) {
        var slot = slot
        for _ in 0..<3 {
            if keyRefs == nil, let cached = services.pullCache.lookup(vaultID: slot.vaultID, revision: slot.revision) {
                return (slot, cached)
            }
            let vaultID = slot.vaultID
            let (records, revision) = try await services.database.read { tx in
                let records = if let keyRefs {
                    try await tx.items(vaultID: vaultID, keyRefs: keyRefs)
                } else {
                    try await tx.items(vaultID: vaultID, includeDeleted: false)
                }
                return (records, try await tx.vaultRevision(vaultID: vaultID))
            }
            if revision == slot.revision {
                // Same revision before and after the items were read: no change to the items or
                // the keys committed in between, so the wrapped keys read with the revision
                // open these items (a rekey racing a pull cannot hand out a mixed answer).
                let encoded = PullBody.items(records.map(ItemController.view))
                if keyRefs == nil { services.pullCache.store(vaultID: vaultID, revision: slot.revision, body: encoded) }
                return (slot, encoded)
            }
            // The vault changed (or went) while we read: take its new keys and read again.
            let slotID = slot.slotID
            let fresh = try await services.database.read { tx in try await tx.machinePullState(slotID: slotID) }
            guard let next = fresh.slot, next.authHash == slot.authHash else { throw APIError.authFailed }
            slot = next
        }
        throw APIError.busy
    }

    static func answer(_ slot: MachinePullState.Slot, items: ByteBuffer, revision: Int64? = nil) -> Response {
        let body = PullBody.response(accountID: slot.ownerAccountID, vaultID: slot.vaultID, slotID: slot.slotID,
                                     wrappedVK: slot.wrappedVK, wrappedIndexKey: slot.wrappedIndexKey, items: items,
                                     revision: revision)
        return Response(status: .ok, headers: [.contentType: "application/json"], body: .init(byteBuffer: body))
    }

    static func unchangedAnswer(revision: Int64) -> Response {
        Response(status: .ok, headers: [.contentType: "application/json"], body: .init(byteBuffer: PullBody.unchanged(revision: revision)))
    }

    /// The warm path of a full pull, one database statement: when this credential was verified
    /// within the cache TTL and the slot's last known state and items are in memory, skip the
    /// first read and let the audit write itself confirm, atomically, that the slot still has
    /// the verified hash, that the vault's revision is the one the cached items were built
    /// for, and that neither the slot nor the address is throttled (issue 3 §2–3). If any of
    /// that fails, nothing was written and the pull takes the full path (which answers 401,
    /// 429 or fresh items as the database says).
    private func fastPull(_ body: ByteBuffer, credential: MachineAuthenticator.Credential, throttleKey: ThrottleKey,
                          now: Int64, address: String?) async throws -> Response? {
        guard let slot = services.pullCache.slot(credential.slotID),
              services.machineAuth.cachedHash(credential, now: now) == slot.authHash,
              let items = services.pullCache.lookup(vaultID: slot.vaultID, revision: slot.revision) else { return nil }
        // Only "everything" pulls: an `only` pull reads its items anyway. The body is tiny.
        guard body.readableBytesView.elementsEqual("{}".utf8) else { return nil }
        let audit = PullAudit(time: now, slotID: slot.slotID, vaultID: slot.vaultID, keyRefs: [], clientAddress: address,
                              authHash: slot.authHash, expectedRevision: slot.revision, throttleKey: throttleKey)
        guard try await services.pullAudit.record(audit) else { return nil }
        services.metrics.credentialCache(hit: true)
        return Self.answer(slot, items: items)
    }
}
