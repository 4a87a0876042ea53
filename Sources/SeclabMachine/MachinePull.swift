import SeclabAPI
public import SeclabClient
import SeclabFormat
import SeclabHTTP
public import SeclabKeys
import SeclabPrimitives

/// What a machine credential opens: the vault's ids and every requested item, decrypted and
/// verified (spec §6.2, §7).
public struct PulledVault: Sendable {
    /// The vault owner's account id and the vault id, as bound into every AAD.
    public let context: VaultContext
    /// Items in the server's order, each name re-checked against its key_ref.
    public let items: [OpenedItem]
}

/// The machine side of the API: one request pulls everything, two when only some names are
/// wanted (the key refs are computed locally, so names never leave the machine).
public enum MachinePull {
    /// Pull and open the vault of `credential`. With `only`, fetch just those names (a missing
    /// one is an error naming it); without, fetch every live item in one round trip.
    ///
    /// Fail closed: any malformed field, any blob that does not open under its spec AAD, a
    /// name that does not match its key_ref, an item not asked for, or a duplicate, throws,
    /// and nothing is returned.
    /// `oidcToken`, when given, is the CI job's identity token, sent in the body of every
    /// request (a slot bound to a CI identity refuses a pull without it).
    public static func pull(_ credential: MachineCredential, client: APIClient, only: [ItemName]? = nil,
                            oidcToken: String? = nil) throws(ClientError) -> PulledVault {
        // Round trip 1: everything, or (with `only`) keys only.
        let answer = try post(client, credential, PullWire.requestBody(keyRefs: only == nil ? nil : [], oidcToken: oidcToken)).body
        guard let only else { return try openWhole(answer, credential: credential).vault }
        let first = try decode(answer)
        let opened = try open(first, credential: credential)
        let wanted = only.map { opened.cipher.keyRef(for: $0) }
        // Round trip 2: only the refs asked for.
        let secondAnswer = try post(client, credential, PullWire.requestBody(keyRefs: wanted.map(\.text), oidcToken: oidcToken)).body
        let secondHelper = ParallelHelper.forAnswer(of: secondAnswer.count)
        defer { secondHelper?.dismiss() }
        let second = try decode(secondAnswer)
        // The keys must not change between the two answers (a server cannot mix vaults).
        guard second.wrappedVK == first.wrappedVK, second.wrappedIndexKey == first.wrappedIndexKey,
              second.accountID == first.accountID, second.vaultID == first.vaultID else {
            throw .integrity(.decryptionFailed("the server changed the vault's keys between two requests"))
        }
        let items = try openItems(second.items, cipher: opened.cipher, expected: Set(wanted), helper: secondHelper)
        let found = Set(items.map(\.keyRef))
        if let missing = zip(only, wanted).first(where: { !found.contains($0.1) }) {
            throw .server(status: 404, code: "not_found", message: "secret '\(missing.0.string)' is not in this vault", retryAfter: nil)
        }
        return PulledVault(context: opened.context, items: items)
    }

    /// One `POST /v1/machine/pull` with `body` (a `PullWire.requestBody`), authenticated as
    /// `credential`'s slot; idempotent: a read, safe to retry. Every pull and poll goes here.
    static func post(_ client: APIClient, _ credential: MachineCredential, _ body: [UInt8]) throws(ClientError) -> HTTPResponse {
        try client.raw("POST", "/v1/machine/pull", jsonBytes: body,
                       authorization: .machine(slotID: credential.slotID, authSecret: credential.authSecret), idempotent: true)
    }

    /// Read a pull response with the strict reader (`PullWire`); anything else than the
    /// documented shape is the server's fault and refused (fail closed).
    static func decode(_ body: [UInt8]) throws(ClientError) -> MachinePullResponse {
        do throws(PullWire.ReadError) {
            return try PullWire.response(body)
        } catch {
            throw refused(error)
        }
    }

    /// `decode` with the items as positions in `body`, each handed over as it is read when
    /// the keys come first (`PullWire.spans`).
    static func spans(_ body: [UInt8], itemsAfterKeys: (PullWire.Keys) -> PullWire.ItemSink?) throws(ClientError) -> PullWire.Spans {
        do throws(PullWire.ReadError) {
            return try PullWire.spans(body, itemsAfterKeys: itemsAfterKeys)
        } catch {
            throw refused(error)
        }
    }

    private static func refused(_ error: PullWire.ReadError) -> ClientError {
        .unexpectedResponse("POST /v1/machine/pull: body is not the documented MachinePullResponse (\(error.message))")
    }

    static func open(_ response: MachinePullResponse, credential: MachineCredential) throws(ClientError) -> (context: VaultContext, cipher: ItemCipher) {
        try open(PullWire.Keys(response), credential: credential)
    }

    /// Check an answer's ids against the credential and unwrap its vault key and index key.
    static func open(_ keys: PullWire.Keys, credential: MachineCredential) throws(ClientError) -> (context: VaultContext, cipher: ItemCipher) {
        do {
            let account = try SeclabID(text: keys.accountID, what: "account_id")
            let vault = try SeclabID(text: keys.vaultID, what: "vault_id")
            let slot = try SeclabID(text: keys.slotID, what: "slot_id")
            // Why: a server answering with another slot's data must not be accepted silently.
            guard slot == credential.slotID else {
                throw ClientError.integrity(.decryptionFailed("the server answered for another machine slot"))
            }
            // Why: spec §11 A1. A v2 credential names the vault and owner it was issued for; an
            // answer for any other vault is refused before anything is opened, so a revoked slot
            // re-created elsewhere under the same id (by whoever holds the leaked MK) feeds
            // this machine nothing.
            if let binding = credential.binding, binding.vaultID != vault || binding.ownerAccountID != account {
                throw ClientError.integrity(.decryptionFailed(
                    "the server answered with vault \(vault.text) of account \(account.text), but this credential was issued for vault \(binding.vaultID.text) of account \(binding.ownerAccountID.text)"))
            }
            let context = VaultContext(ownerAccountID: account, vaultID: vault)
            let vk = try MachineSlot.unwrap(AEADBlob(text: keys.wrappedVK, what: "wrapped_vk"), with: credential.unwrapKey,
                                            in: context, slotID: slot)
            let indexKey = try vk.unwrapIndexKey(AEADBlob(text: keys.wrappedIndexKey, what: "wrapped_index_key"), in: context)
            return (context, ItemCipher(vaultKey: vk, indexKey: indexKey, context: context))
        } catch {
            throw translate(error)
        }
    }

    /// Every failure while opening a response is the server's: malformed data is
    /// `unexpectedResponse`, data that fails to decrypt or verify is `integrity`.
    private static func translate(_ error: any Error) -> ClientError {
        switch error {
        case let error as ClientError: return error
        case let error as KeysError: return .integrity(error)
        case let error as FormatError: return .unexpectedResponse(error.message)
        default: return .unexpectedResponse("\(error)")
        }
    }

    static func openItems(_ views: [ItemView], cipher: ItemCipher, expected: Set<KeyRef>?,
                          helper: ParallelHelper?) throws(ClientError) -> [OpenedItem] {
        // Parse and open every item, with `helper`'s thread when there are many (each item is
        // independent); then check them in the server's order (`checked`).
        var outcomes = [ItemOutcome?](repeating: nil, count: views.count)
        outcomes.withUnsafeMutableBufferPointer { outcomes in
            Parallel.run(count: views.count, helper: helper) { range in
                for index in range { outcomes[index] = openOne(views[index], cipher: cipher) }
            }
        }
        return try checked(count: views.count, expected: expected) { index in outcomes[index] }
    }

    /// `openOne` for an item as read from `body`: opened without an array per field when it
    /// is valid (`ItemCipher.openIfValid`); anything else goes the parsing way, which names
    /// the defect exactly as for a decoded answer.
    static func openOne(_ item: PullWire.ItemSpan, in body: UnsafeBufferPointer<UInt8>, cipher: ItemCipher,
                        scratch: inout [UInt8]) -> ItemOutcome {
        if item.plain, !item.deleted,
           let opened = cipher.openIfValid(keyRef: UnsafeBufferPointer(rebasing: body[item.keyRef]),
                                           encName: UnsafeBufferPointer(rebasing: body[item.encName]),
                                           encValue: UnsafeBufferPointer(rebasing: body[item.encValue]), scratch: &scratch) {
            return ItemOutcome(ref: .success(opened.keyRef), deleted: false, item: .success(opened))
        }
        do throws(PullWire.ReadError) {
            return openOne(try PullWire.view(of: item, in: body), cipher: cipher)
        } catch {
            return ItemOutcome(ref: .failure(refused(error)), deleted: item.deleted, item: nil)
        }
    }

    /// Parse and open one item (a deleted one is only parsed: it fails the check anyway).
    static func openOne(_ view: ItemView, cipher: ItemCipher) -> ItemOutcome {
        let ref: KeyRef
        do { ref = try KeyRef(text: view.keyRef) } catch { return ItemOutcome(ref: .failure(translate(error)), deleted: view.deleted, item: nil) }
        if view.deleted { return ItemOutcome(ref: .success(ref), deleted: true, item: nil) }
        do {
            let item = SealedItem(keyRef: ref, encName: try AEADBlob(text: view.encName, what: "enc_name"),
                                  encValue: try AEADBlob(text: view.encValue, what: "enc_value"))
            return ItemOutcome(ref: .success(ref), deleted: false, item: .success(try cipher.open(item)))
        } catch {
            return ItemOutcome(ref: .success(ref), deleted: false, item: .failure(translate(error)))
        }
    }

    /// The opened items in the server's order, after every check; the error reported for a
    /// bad response is the one a single pass over it would meet first.
    static func checked(count: Int, expected: Set<KeyRef>?, _ outcome: (Int) -> ItemOutcome?) throws(ClientError) -> [OpenedItem] {
        var seen = Set<KeyRef>(minimumCapacity: count)
        var out = [OpenedItem]()
        out.reserveCapacity(count)
        for index in 0..<count {
            guard let outcome = outcome(index) else { throw .unexpectedResponse("an item was not opened") }
            let ref: KeyRef
            switch outcome.ref {
            case let .success(value): ref = value
            case let .failure(error): throw error
            }
            guard !outcome.deleted else { throw .unexpectedResponse("the server sent a deleted item in a pull") }
            guard seen.insert(ref).inserted else { throw .unexpectedResponse("the server sent one key_ref twice") }
            if let expected, !expected.contains(ref) {
                throw .unexpectedResponse("the server sent an item that was not asked for")
            }
            switch outcome.item {
            case let .success(item)?: out.append(item)
            case let .failure(error)?: throw error
            case nil: throw .unexpectedResponse("an item was not opened")
            }
        }
        return out
    }
}

/// What parsing and opening one item of an answer gave.
struct ItemOutcome {
    /// Its key ref, or why it did not parse.
    let ref: Result<KeyRef, ClientError>
    /// Whether the server marked it deleted (a pull must not carry such items).
    let deleted: Bool
    /// The opened item, or why it did not open; nil when it was not opened (bad ref, deleted).
    let item: Result<OpenedItem, ClientError>?
}
