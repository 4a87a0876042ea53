import SeclabAPI
public import SeclabClient
import SeclabHTTP
public import SeclabKeys

/// A verified pull together with the response body exactly as the server sent it, and the
/// vault revision it belongs to (watch polls against the revision, the offline
/// fallback keeps the body).
public struct ServedPull: Sendable {
    /// The opened, verified vault.
    public let vault: PulledVault
    /// The `POST /v1/machine/pull` response body, byte for byte (ciphertext the server holds anyway).
    public let body: [UInt8]
    /// The vault revision of this answer (nil from a server without revisions).
    public let revision: Int64?
}

extension MachinePull {
    /// A full pull that keeps the body as served and asks for the revision (`if_revision: -1`,
    /// which never matches, so the answer is always complete).
    ///
    /// Why always full: under `--watch` and `--fallback` the body is what later runs open
    /// offline, and a full body serves every `--only` selection; `select` then applies the
    /// selection locally exactly as a two-request `only` pull would.
    public static func pullServed(_ credential: MachineCredential, client: APIClient, oidcToken: String? = nil) throws(ClientError) -> ServedPull {
        guard let served = try poll(credential, client: client, revision: -1, oidcToken: oidcToken) else {
            throw .unexpectedResponse("POST /v1/machine/pull: the server said 'unchanged' to revision -1")
        }
        return served
    }

    /// A conditional pull: nil when the vault is still at `revision`, else the
    /// full answer, verified exactly as `pull` verifies one. A slot bound to a CI identity
    /// needs `oidcToken` on polls too.
    public static func poll(_ credential: MachineCredential, client: APIClient, revision: Int64,
                            oidcToken: String? = nil) throws(ClientError) -> ServedPull? {
        let response = try post(client, credential, PullWire.requestBody(keyRefs: nil, ifRevision: revision, oidcToken: oidcToken))
        if let current = PullWire.unchangedRevision(response.body) {
            guard current == revision else {
                throw .unexpectedResponse("POST /v1/machine/pull: 'unchanged' at revision \(current), but \(revision) was asked")
            }
            return nil
        }
        let whole = try openWhole(response.body, credential: credential)
        return ServedPull(vault: whole.vault, body: response.body, revision: whole.revision)
    }

    /// Open a body served earlier (the offline fallback), with every check of a live pull:
    /// slot, v2 binding, keys, every item's AEAD and key ref, no duplicates.
    public static func open(served body: [UInt8], credential: MachineCredential) throws(ClientError) -> ServedPull {
        guard PullWire.unchangedRevision(body) == nil else { throw .unexpectedResponse("the stored pull is not a full answer") }
        let whole = try openWhole(body, credential: credential)
        return ServedPull(vault: whole.vault, body: body, revision: whole.revision)
    }

    /// Keep only `only` (in the order asked), as a live `only` pull would; a missing name is
    /// the same 404 a live pull reports.
    public static func select(_ vault: PulledVault, only: [ItemName]?) throws(ClientError) -> PulledVault {
        guard let only else { return vault }
        var byName = [String: OpenedItem]()
        for item in vault.items { byName[item.name.string] = item }
        var items = [OpenedItem]()
        for name in only {
            guard let item = byName[name.string] else {
                throw .server(status: 404, code: "not_found", message: "secret '\(name.string)' is not in this vault", retryAfter: nil)
            }
            if !items.contains(where: { $0.keyRef == item.keyRef }) { items.append(item) }
        }
        return PulledVault(context: vault.context, items: items)
    }
}
