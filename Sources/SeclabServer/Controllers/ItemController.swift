import Hummingbird
import NIOCore
import SeclabAPI
import SeclabStore

/// `/v1/vaults/{vault_id}/items`: latest-only ciphertext items (spec §7). Every accepted slot
/// may read; only the owner and `write` shares may change items (a share holds the VK either
/// way, so a read-only share is enforced here, by the server, not by the VK).
struct ItemController {
    let services: Services

    /// Register on the session group: every route here needs a signed-in account.
    func register(on router: some RouterMethods<SeclabRequestContext>) {
        router.get("/v1/vaults/:vault_id/items") { request, context in try await self.list(request, context) }
        router.put("/v1/vaults/:vault_id/items/:key_ref") { request, context in try await self.put(request, context) }
        router.delete("/v1/vaults/:vault_id/items/:key_ref") { request, context in try await self.delete(request, context) }
        router.post("/v1/vaults/:vault_id/items/batch-get") { request, context in try await self.batchGet(request, context) }
    }

    static func view(_ item: ItemRecord) -> ItemView {
        ItemView(keyRef: item.keyRef, encName: item.encName, encValue: item.encValue,
                 updatedAt: Clock.rfc3339(item.updatedAt), deleted: item.deleted != 0)
    }

    static func keyRef(_ context: SeclabRequestContext) throws -> String {
        guard let value = context.parameters.get("key_ref") else { throw APIError.badRequest(field: "key_ref", "missing") }
        do { return try WireCheck.keyRef(value, field: "key_ref") } catch { throw APIError.badRequest(error) }
    }

    func list(_ request: Request, _ context: SeclabRequestContext) async throws -> Response {
        let route = try VaultRoute(context, .itemList)
        var includeDeleted = false
        if let flag = request.uri.queryParameters["include_deleted"] {
            guard flag == "true" || flag == "false" else { throw APIError.badRequest(field: "include_deleted", "must be true or false") }
            includeDeleted = flag == "true"
        }
        _ = try await services.authorize(route, need: .read)
        let (vaultID, includeTombstones) = (route.vaultID, includeDeleted)
        // Whole-vault reads hold the vault in memory while they encode it: bounded.
        return try await services.heavyReads.run {
            let items = try await services.database.read { tx in try await tx.items(vaultID: vaultID, includeDeleted: includeTombstones) }
            return Self.itemList(items)
        }
    }

    func put(_ request: Request, _ context: SeclabRequestContext) async throws -> Response {
        let route = try VaultRoute(context, .itemPut)
        let keyRef = try Self.keyRef(context)
        _ = try await services.authorize(route, need: .writeItems)
        let body = try await JSONBody.decode(PutItemRequest.self, from: request, limit: services.config.maxItemBodyBytes)
        let now = Clock.nowMillis()
        let item = ItemRecord(keyRef: keyRef, encName: body.encName, encValue: body.encValue, updatedAt: now, deleted: false)
        let (maxItems, maxBytes) = (services.config.vaultMaxItems, services.config.vaultMaxBytes)
        let vaultID = route.vaultID
        try await services.writeInVault(route, need: .writeItems) { tx, _ in
            // A vault's size is bounded, so every whole-vault read is too.
            let usage = try await tx.vaultUsage(vaultID: vaultID, excluding: keyRef)
            try Self.checkLimits(items: usage.items + 1, bytes: usage.bytes + item.encName.utf8.count + item.encValue.utf8.count,
                                 maxItems: maxItems, maxBytes: maxBytes)
            try await tx.putItem(vaultID: vaultID, item)
            try await tx.audit(route.event(keyRefs: [keyRef], now: now))
        }
        return try JSONBody.response(Self.view(item))
    }

    func delete(_ request: Request, _ context: SeclabRequestContext) async throws -> Response {
        let route = try VaultRoute(context, .itemDelete)
        let keyRef = try Self.keyRef(context)
        _ = try await services.authorize(route, need: .writeItems)
        let now = Clock.nowMillis()
        try await services.writeInVault(route, need: .writeItems) { tx, _ in
            guard try await tx.deleteItem(vaultID: route.vaultID, keyRef: keyRef, now: now) else { throw StoreError.notFound("item") }
            try await tx.audit(route.event(keyRefs: [keyRef], now: now))
        }
        return Response(status: .noContent)
    }

    func batchGet(_ request: Request, _ context: SeclabRequestContext) async throws -> Response {
        let route = try VaultRoute(context, .itemBatchGet)
        _ = try await services.authorize(route, need: .read)
        let vaultID = route.vaultID
        let body = try await JSONBody.decode(BatchGetRequest.self, from: request, limit: services.config.maxItemBodyBytes)
        return try await services.heavyReads.run {
            let items = try await services.database.read { tx in try await tx.items(vaultID: vaultID, keyRefs: body.keyRefs) }
            return Self.itemList(items)
        }
    }

    /// `{"items":[…]}` through the pull's hand-written encoder: the same bytes `JSONBody` would
    /// write, without Foundation's per-item tree (a list of a full vault cost about
    /// six times the vault's size in memory that way).
    static func itemList(_ items: [ItemRecord]) -> Response {
        let array = PullResponse.items(items.map(view))
        var body = ByteBuffer()
        body.reserveCapacity(array.readableBytes + 10)
        body.writeString("{\"items\":")
        body.writeImmutableBuffer(array)
        body.writeString("}")
        return Response(status: .ok, headers: [.contentType: "application/json"], body: .init(byteBuffer: body))
    }

    /// 409 `vault_limit` naming the limit a vault of `items` items and `bytes` bytes would break.
    static func checkLimits(items: Int, bytes: Int, maxItems: Int, maxBytes: Int) throws {
        if items > maxItems {
            throw APIError(.conflict, code: "vault_limit",
                           message: "a vault holds at most \(maxItems) items (server limit --vault-max-items); delete items or use another vault")
        }
        if bytes > maxBytes {
            throw APIError(.conflict, code: "vault_limit",
                           message: "a vault holds at most \(maxBytes) bytes of encrypted items (server limit --vault-max-bytes); delete items or use another vault")
        }
    }
}
