import Hummingbird
import NIOCore
import SeclabAPI
import SeclabOIDC
import SeclabStore

/// What the pull keeps between requests: the Argon2id verifier with its credential cache, the
/// encoded items of recent pulls, and the group commit of their audit rows. Built once.
final class PullState: Sendable {
    /// Verifies `Authorization: Machine …` (and hashes new slots' secrets, within the same limit).
    let authenticator: MachineAuthenticator
    /// Encoded items of recent machine pulls, per vault revision.
    let cache: PullCache
    /// Group commit of the pulls' audit rows.
    let audit: PullAuditWriter
    /// Checks the CI identity tokens of bound slots; nil when no issuer is trusted.
    let oidc: TokenVerifier?
    /// The verifier's HTTP client (discovery documents and key sets), shut down with the server.
    private let oidcFetcher: MetadataFetcher?

    init(config: ServerConfig, database: SeclabDatabase) throws {
        authenticator = try MachineAuthenticator(config: config)
        cache = PullCache(budgetBytes: config.pullCacheBytes)
        audit = PullAuditWriter(database: database)
        if config.oidcIssuers.isEmpty {
            oidc = nil
            oidcFetcher = nil
        } else {
            let issuers = try config.oidcIssuers.map { text throws(OIDCError) in try IssuerURL(text) }
            let fetcher = MetadataFetcher()
            // A verified token is trusted again for 60 s (never past its exp): the same token's
            // RSA check on every pull halved a bound slot's pull rate (SeclabOIDC.VerifiedTokens).
            oidc = TokenVerifier(issuers: issuers, fetcher: fetcher, verifiedTokenSeconds: 60)
            oidcFetcher = fetcher
        }
    }

    /// Stop the Argon2id threads and the OIDC fetcher (the service group's shutdown).
    func shutdown() async {
        await authenticator.shutdown()
        try? await oidcFetcher?.shutdown()
    }
}

/// `POST /v1/machine/pull` (spec §6.2): the only route a machine can call.
struct PullController {
    let services: Services

    func register(on router: Router<SeclabRequestContext>) {
        router.post("/v1/machine/pull") { request, context in try await PullService(services: services).pull(request, context) }
    }
}

/// The machine pull, end to end: authenticate the slot, then return its wrapped VK, the
/// vault's wrapped index key and the items, in one round trip. A machine reads exactly its one
/// vault and can write nothing.
///
/// Two paths. The warm path (`fastPull`) is one database statement: the audit write itself
/// confirms slot, hash, revision and throttle. The full path reads the slot state first and
/// runs Argon2id when the credential is not cached. Either way nothing is sent unless the
/// audit row committed (fail closed, docs/security.md).
struct PullService {
    let services: Services
    private var state: PullState { services.pull }

    /// Answer one pull. The checks run cheapest first (docs/security.md, "floods"): header
    /// shape, then one read (slot and its throttle), then the address's rate of Argon2id
    /// failures, and only then Argon2id. An unknown slot is answered 401 without Argon2id and
    /// without a row of its own (aggregated audit); a known slot's failures are counted
    /// against that slot alone, so nobody else's pulls from the same address are blocked; a
    /// success clears the slot's counter.
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
        // throttled, and which hash, vault and keys does the slot have.
        let pullState = try await services.database.read { tx in try await tx.machinePullState(slotID: slotID) }
        let audit = AuditRecord(time: now, actorID: slotID, actorKind: .machine, action: .authMachine,
                                vaultID: pullState.slot?.vaultID, slotID: slotID, clientAddress: address, outcome: .failed)
        guard let knownSlot = pullState.slot else {
            // Unknown slot (or its vault is gone): no Argon2id, an aggregated count per address
            // (not per random id, which would make every request its own row), 401.
            try noteAnonymousFailure(context, now: now)
            throw APIError.authFailed
        }
        if let until = pullState.blockedUntil, until > now { throw services.throttled(until: until, kind: "machine", audit: audit, now: now) }
        let body = try JSONBody.decode(MachinePullRequest.self, from: bodyBytes)
        if state.authenticator.cachedHash(credential, now: now) != knownSlot.authHash {
            // About to run Argon2id: an address whose wrong secrets have cost many runs waits.
            guard services.rates.argon2Failures.allows(context.throttleSubject) else {
                throw services.limited(kind: "machine", audit: audit)
            }
        }
        guard try await state.authenticator.verify(credential, authHash: knownSlot.authHash, now: now, metrics: services.metrics) else {
            services.metrics.authFailure(kind: "machine")
            services.rates.argon2Failures.charge(context.throttleSubject)
            let policy = services.config.slotThrottle
            try await services.database.write { tx in
                try await tx.recordFailure(keys: [(throttleKey, policy)], now: now)
                try await tx.audit(audit)
            }
            throw APIError.authFailed
        }
        if pullState.hasFailures {
            try await services.database.write { tx in try await tx.clearFailures(keys: [throttleKey]) }
        }
        // A slot bound to a CI identity pulls only with a token its policy accepts, polls
        // included; unbound slots skip this entirely (their pulls are unchanged, byte for byte).
        var identity: String?
        if let policyText = knownSlot.oidcPolicy {
            identity = try await checkIdentity(policyText: policyText, token: body.oidcToken, audit: audit)
        }
        if let known = body.ifRevision {
            services.metrics.machinePoll(unchanged: known == knownSlot.revision)
            // Why no audit row and no items (docs/seclab-run.md "Watch"): the answer says only
            // "still revision N", which this authenticated slot already knew; the slot and its
            // hash were read in this request's own statement, so a revoked slot got 401 above.
            // Polls are counted in /metrics (seclab_machine_polls_total) instead.
            if known == knownSlot.revision { return PullResponse.unchanged(revision: known) }
        }
        let keyRefs = body.keyRefs
        let (slot, items) = try await readItems(slot: knownSlot, keyRefs: keyRefs)
        state.cache.remember(slot)
        let pullRow = PullAudit(time: now, slotID: slotID, vaultID: slot.vaultID, keyRefs: keyRefs ?? [],
                                clientAddress: address, authHash: slot.authHash, detail: identity)
        // The audit row is written only while the slot still exists with the hash we verified:
        // a revocation committed through any replica since the read above refuses this pull,
        // and nothing is sent unless the audit row committed (fail closed).
        guard try await state.audit.record(pullRow) else { throw APIError.authFailed }
        return PullResponse.answer(slot, items: items, revision: body.ifRevision == nil ? nil : slot.revision)
    }

    /// A credential that names no machine slot (malformed, or an unknown slot id): 429 once the
    /// address's failure rate is spent, else one aggregated count per address (never a row per
    /// random id) before the caller answers 401.
    private func noteAnonymousFailure(_ context: SeclabRequestContext, now: Int64) throws {
        let audit = AuditRecord(time: now, actorID: nil, actorKind: .anonymous, action: .authMachine,
                                clientAddress: context.clientAddress, outcome: .failed)
        try services.checkFailureRate(context, kind: "machine", audit: audit)
        services.noteFailure(context, kind: "machine", audit: audit)
    }

    /// The encoded items of `slot`'s vault (all, or those of `keyRefs`) and the slot state
    /// they belong with: from the pull cache at the slot's revision, else read and checked
    /// against the revision. If the vault changed meanwhile, its new state is read and the
    /// items again (three tries, then 503).
    private func readItems(slot: MachinePullState.Slot, keyRefs: [String]?) async throws -> (MachinePullState.Slot, ByteBuffer) {
        try await services.heavyReads.run { try await readItemsNow(slot: slot, keyRefs: keyRefs) }
    }

    private func readItemsNow(slot: MachinePullState.Slot, keyRefs: [String]?) async throws -> (MachinePullState.Slot, ByteBuffer) {
        var slot = slot
        for _ in 0..<3 {
            if keyRefs == nil, let cached = state.cache.lookup(vaultID: slot.vaultID, revision: slot.revision) {
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
                let encoded = PullResponse.items(records.map(ItemController.view))
                if keyRefs == nil { state.cache.store(vaultID: vaultID, revision: slot.revision, body: encoded) }
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

    /// The warm path of a full pull, one database statement: when this credential was verified
    /// within the cache TTL and the slot's last known state and items are in memory, skip the
    /// first read and let the audit write itself confirm, atomically, that the slot still has
    /// the verified hash, that the vault's revision is the one the cached items were built
    /// for, and that neither the slot nor the address is throttled. If any of that fails,
    /// nothing was written and the pull takes the full path (which answers 401, 429 or fresh
    /// items as the database says).
    /// A bound slot's token is verified here too; a refused or missing one takes the
    /// full path, which is the only place a refusal is audited and answered.
    private func fastPull(_ body: ByteBuffer, credential: MachineAuthenticator.Credential, throttleKey: ThrottleKey,
                          now: Int64, address: String?) async throws -> Response? {
        guard let slot = state.cache.slot(credential.slotID),
              state.authenticator.cachedHash(credential, now: now) == slot.authHash,
              let items = state.cache.lookup(vaultID: slot.vaultID, revision: slot.revision) else { return nil }
        // Only "everything" pulls: an `only` pull reads its items anyway. The body is tiny.
        var identity: String?
        if let policyText = slot.oidcPolicy {
            // A bound slot never skips its token check: the token is verified here,
            // and any refusal is left to the full path, which checks again, audits and answers.
            guard let request = try? JSONBody.decode(MachinePullRequest.self, from: body), request.keyRefs == nil,
                  case let .success(claims) = await verifyIdentity(policyText: policyText, token: request.oidcToken) else { return nil }
            identity = claims.auditText
        } else {
            guard body.readableBytesView.elementsEqual("{}".utf8) else { return nil }
        }
        let audit = PullAudit(time: now, slotID: slot.slotID, vaultID: slot.vaultID, keyRefs: [], clientAddress: address,
                              authHash: slot.authHash, expectedRevision: slot.revision, throttleKey: throttleKey, detail: identity)
        guard try await state.audit.record(audit) else { return nil }
        services.metrics.credentialCache(hit: true)
        return PullResponse.answer(slot, items: items)
    }
}
