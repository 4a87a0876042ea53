import SeclabClient
import SeclabAPI
public import SeclabFormat
public import SeclabKeys
public import SeclabPrimitives

/// A secret's name and update time, never its value (for `secret list`).
public struct ItemSummary: Sendable {
    /// The decrypted, key_ref-checked name.
    public let name: ItemName
    /// The key ref.
    public let keyRef: KeyRef
    /// RFC 3339 time of the last write.
    public let updatedAt: String
}

extension OwnerSession {
    /// Write one secret, latest-only (spec §7): key ref, name and value computed and sealed here.
    @discardableResult
    public func setItem(in vault: OwnerVault, name: ItemName, value: SecretBytes) throws(OwnerError) -> ItemSummary {
        let sealed: SealedItem
        do { sealed = try vault.cipher.seal(name: name, value: value) } catch { throw .invalidInput(error.description) }
        let request = PutItemRequest(encName: sealed.encName.text, encValue: sealed.encValue.text)
        let stored: ItemView = try call("vault '\(vault.name)'") { () throws(ClientError) in
            try client.send("PUT", "\(vault.path)/items/\(sealed.keyRef.text)", body: request, authorization: authorization, idempotent: true)
        }
        guard stored.keyRef == sealed.keyRef.text else { throw .integrity("the server stored the secret under another key_ref") }
        return ItemSummary(name: name, keyRef: sealed.keyRef, updatedAt: stored.updatedAt)
    }

    /// Read one secret: fetched by its locally computed key ref, both blobs opened under their
    /// AAD and the name re-checked against the ref (spec §7).
    public func getItem(in vault: OwnerVault, name: ItemName) throws(OwnerError) -> OpenedItem {
        let ref = vault.cipher.keyRef(for: name)
        let list: ItemList = try call("vault '\(vault.name)'") { () throws(ClientError) in
            try client.send("POST", "\(vault.path)/items/batch-get", body: BatchGetRequest(keyRefs: [ref.text]),
                            authorization: authorization, idempotent: true)
        }
        let opened = try openItems(list.items, in: vault)
        guard opened.count <= 1, opened.allSatisfy({ $0.keyRef == ref }) else {
            throw .integrity("the server answered with secrets that were not asked for")
        }
        guard let item = opened.first else { throw .notFound("secret '\(name.string)' in vault '\(vault.name)'") }
        return item
    }

    /// Names and update times of the live secrets; names are opened and checked, values are not
    /// decrypted at all.
    public func listItems(in vault: OwnerVault) throws(OwnerError) -> [ItemSummary] {
        let list = try fetchItems(vault)
        var out = [ItemSummary]()
        var seen = Set<KeyRef>()
        for view in list where !view.deleted {
            do {
                let ref = try KeyRef(text: view.keyRef)
                guard seen.insert(ref).inserted else { throw OwnerError.integrity("the server sent one key_ref twice") }
                let name = try vault.cipher.openName(AEADBlob(text: view.encName, what: "enc_name"), keyRef: ref)
                out.append(ItemSummary(name: name, keyRef: ref, updatedAt: view.updatedAt))
            } catch let error as OwnerError {
                throw error
            } catch {
                throw .integrity("a secret in vault '\(vault.name)': \(error)")
            }
        }
        return out.sorted { $0.name.utf8.lexicographicallyPrecedes($1.name.utf8) }
    }

    /// Every live secret, opened (for export and rekey). Fails closed on the first bad item.
    public func openAllItems(in vault: OwnerVault) throws(OwnerError) -> [OpenedItem] {
        try openItems(try fetchItems(vault), in: vault)
            .sorted { $0.name.utf8.lexicographicallyPrecedes($1.name.utf8) }
    }

    /// Tombstone one secret.
    public func deleteItem(in vault: OwnerVault, name: ItemName) throws(OwnerError) {
        let ref = vault.cipher.keyRef(for: name)
        try call("secret '\(name.string)' in vault '\(vault.name)'") { () throws(ClientError) in
            try client.sendExpectingNoContent("DELETE", "\(vault.path)/items/\(ref.text)", authorization: authorization, idempotent: true)
        }
    }

    func fetchItems(_ vault: OwnerVault) throws(OwnerError) -> [ItemView] {
        let list: ItemList = try call("vault '\(vault.name)'") { () throws(ClientError) in
            try client.send("GET", "\(vault.path)/items", authorization: authorization, idempotent: true)
        }
        return list.items
    }

    func openItems(_ views: [ItemView], in vault: OwnerVault) throws(OwnerError) -> [OpenedItem] {
        var out = [OpenedItem]()
        var seen = Set<KeyRef>()
        for view in views where !view.deleted {
            do {
                let ref = try KeyRef(text: view.keyRef)
                guard seen.insert(ref).inserted else { throw OwnerError.integrity("the server sent one key_ref twice") }
                let sealed = SealedItem(keyRef: ref, encName: try AEADBlob(text: view.encName, what: "enc_name"),
                                        encValue: try AEADBlob(text: view.encValue, what: "enc_value"))
                out.append(try vault.cipher.open(sealed))
            } catch let error as OwnerError {
                throw error
            } catch {
                throw .integrity("a secret in vault '\(vault.name)': \(error)")
            }
        }
        return out
    }
}
