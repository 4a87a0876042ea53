/// The machine pull's wire format, in one place for both sides: the request body the client
/// writes, the response the server writes, and the strict reader the client uses.
///
/// Why hand-written rather than Foundation's coders: on the server, `JSONEncoder` builds an
/// intermediate tree per item, which cost more than the rest of a warm pull; in a static
/// `seclab-run`, the first use of `JSONDecoder` pays for protocol-conformance scans and
/// generic metadata, several milliseconds of the time to child (docs/benchmarks.md). The
/// field names are not spelled here: they come from the `CodingKeys` of `MachinePullRequest`,
/// `MachinePullResponse` and `ItemView`, so the `Codable` types (used by the owner side, the
/// tests and the fuzzer's reference decoder) and this format cannot drift apart. The writer's
/// output is `JSONEncoder`'s with `.sortedKeys`, except that `items` comes last
/// (`responseHead`; `PullBodyTests` checks both), and the reader agrees with `JSONDecoder` on
/// every body it accepts (the `pull-response` fuzz target).
public enum PullWire {
    /// Why a body was refused, without echoing its content.
    public struct ReadError: Error, Sendable, CustomStringConvertible {
        /// What was wrong and where (an offset or a field name).
        public let message: String
        /// The message.
        public var description: String { message }
    }

    typealias ResponseKey = MachinePullResponse.CodingKeys
    typealias ItemKey = ItemView.CodingKeys

    // MARK: request

    /// `{}`, or an object of the fields given, in this order: `key_refs` (base64url, no
    /// characters to escape), `if_revision` (a conditional pull, always a full pull: see
    /// docs/seclab-run.md "Watch"), `oidc_token` (the CI identity token: in the body, never in a
    /// URL; docs/security.md "CI identity binding").
    public static func requestBody(keyRefs: [String]?, ifRevision: Int64? = nil, oidcToken: String? = nil) -> [UInt8] {
        precondition(ifRevision == nil || keyRefs == nil, "a conditional pull is always a full pull")
        if keyRefs == nil, ifRevision == nil, oidcToken == nil { return Array("{}".utf8) }
        var out: [UInt8] = [UInt8(ascii: "{")]
        if let keyRefs {
            writeKey(MachinePullRequest.CodingKeys.keyRefs.stringValue, to: &out)
            out.append(UInt8(ascii: "["))
            for (index, ref) in keyRefs.enumerated() {
                if index > 0 { out.append(UInt8(ascii: ",")) }
                JSONText.writeString(ref, to: &out)
            }
            out.append(UInt8(ascii: "]"))
        }
        if let ifRevision {
            if keyRefs != nil { out.append(UInt8(ascii: ",")) }
            writeKey(MachinePullRequest.CodingKeys.ifRevision.stringValue, to: &out)
            out += String(ifRevision).utf8
        }
        if let oidcToken {
            if keyRefs != nil || ifRevision != nil { out.append(UInt8(ascii: ",")) }
            writeKey(MachinePullRequest.CodingKeys.oidcToken.stringValue, to: &out)
            JSONText.writeString(oidcToken, to: &out)
        }
        out.append(UInt8(ascii: "}"))
        return out
    }

    // MARK: response, writer (server)

    /// The `items` array: `[{"deleted":false,"enc_name":…,"enc_value":…,"key_ref":…,"updated_at":…},…]`,
    /// keys in sorted order as `JSONEncoder` with `.sortedKeys` writes them.
    public static func items(_ items: [ItemView]) -> [UInt8] {
        var size = 2
        for item in items { size += 80 + item.keyRef.utf8.count + item.encName.utf8.count + item.encValue.utf8.count + item.updatedAt.utf8.count }
        var out = [UInt8]()
        out.reserveCapacity(size)
        out.append(UInt8(ascii: "["))
        for (index, item) in items.enumerated() {
            if index > 0 { out.append(UInt8(ascii: ",")) }
            out += item.deleted ? Self.itemOpenDeleted : Self.itemOpenLive
            JSONText.writeString(item.encName, to: &out)
            out += Self.itemEncValue
            JSONText.writeString(item.encValue, to: &out)
            out += Self.itemKeyRef
            JSONText.writeString(item.keyRef, to: &out)
            out += Self.itemUpdatedAt
            JSONText.writeString(item.updatedAt, to: &out)
            out.append(UInt8(ascii: "}"))
        }
        out.append(UInt8(ascii: "]"))
        return out
    }

    /// The response up to its `items` value, every other field first:
    /// `{"account_id":…,"revision":N,"slot_id":…,"vault_id":…,"wrapped_index_key":…,"wrapped_vk":…,"items":`
    /// (`revision` only on a conditional pull). The server puts its (cached) items array
    /// after it, then `responseEnd`.
    ///
    /// Why the keys before the items (not sorted-keys order, where `items` comes second): a
    /// client can unwrap the vault key as soon as it has read them and open items on another
    /// thread while it is still reading the rest (seclab-run, `MachinePull`); ~0.4 ms of a
    /// 1,000-secret pull (docs/seclab-run.md). A JSON object's member order carries no
    /// meaning, so every reader, ours of any version included, reads both orders alike.
    public static func responseHead(accountID: String, revision: Int64? = nil, slotID: String, vaultID: String,
                                    wrappedIndexKey: String, wrappedVK: String) -> [UInt8] {
        var out = [UInt8]()
        out.reserveCapacity(200 + wrappedVK.utf8.count + wrappedIndexKey.utf8.count)
        out.append(UInt8(ascii: "{"))
        writeKey(ResponseKey.accountID.stringValue, to: &out)
        JSONText.writeString(accountID, to: &out)
        if let revision {
            out.append(UInt8(ascii: ","))
            writeKey(ResponseKey.revision.stringValue, to: &out)
            out += String(revision).utf8
        }
        for (key, value) in [(ResponseKey.slotID, slotID), (.vaultID, vaultID), (.wrappedIndexKey, wrappedIndexKey), (.wrappedVK, wrappedVK)] {
            out.append(UInt8(ascii: ","))
            writeKey(key.stringValue, to: &out)
            JSONText.writeString(value, to: &out)
        }
        out.append(UInt8(ascii: ","))
        writeKey(ResponseKey.items.stringValue, to: &out)
        return out
    }

    /// What follows the items array: the end of the response object.
    public static let responseEnd: [UInt8] = [UInt8(ascii: "}")]

    /// A whole response body: `responseHead`, the items, `responseEnd`.
    public static func body(_ value: MachinePullResponse) -> [UInt8] {
        responseHead(accountID: value.accountID, revision: value.revision, slotID: value.slotID, vaultID: value.vaultID,
                     wrappedIndexKey: value.wrappedIndexKey, wrappedVK: value.wrappedVK) + items(value.items) + responseEnd
    }

    /// `"key":`
    static func writeKey(_ key: String, to out: inout [UInt8]) {
        JSONText.writeString(key, to: &out)
        out.append(UInt8(ascii: ":"))
    }

    private static func fragment(_ pieces: (String, Bool)...) -> [UInt8] {
        var out = [UInt8]()
        for (text, isKey) in pieces {
            if isKey { writeKey(text, to: &out) } else { out += text.utf8 }
        }
        return out
    }

    // The item's fixed bytes, built once from the coding keys (sorted: deleted, enc_name,
    // enc_value, key_ref, updated_at).
    private static let itemOpenLive = fragment(("{", false), (ItemKey.deleted.stringValue, true), ("false,", false), (ItemKey.encName.stringValue, true))
    private static let itemOpenDeleted = fragment(("{", false), (ItemKey.deleted.stringValue, true), ("true,", false), (ItemKey.encName.stringValue, true))
    private static let itemEncValue = fragment((",", false), (ItemKey.encValue.stringValue, true))
    private static let itemKeyRef = fragment((",", false), (ItemKey.keyRef.stringValue, true))
    private static let itemUpdatedAt = fragment((",", false), (ItemKey.updatedAt.stringValue, true))

    // MARK: response, reader (client)

    /// The fields of a pull response that a server writes before its items (`responseHead`).
    public struct Keys: Sendable {
        /// `account_id`, `vault_id`, `slot_id`, `wrapped_vk`, `wrapped_index_key` as read.
        public let accountID: String, vaultID: String, slotID: String, wrappedVK: String, wrappedIndexKey: String

        init(accountID: String, vaultID: String, slotID: String, wrappedVK: String, wrappedIndexKey: String) {
            self.accountID = accountID; self.vaultID = vaultID; self.slotID = slotID
            self.wrappedVK = wrappedVK; self.wrappedIndexKey = wrappedIndexKey
        }

        /// From the string fields read in `responseStringKeys`' order; nil while one is missing.
        init?(read fields: [String?]) {
            guard let accountID = fields[0], let vaultID = fields[1], let slotID = fields[2], let wrappedVK = fields[3],
                  let wrappedIndexKey = fields[4] else { return nil }
            self.init(accountID: accountID, vaultID: vaultID, slotID: slotID, wrappedVK: wrappedVK, wrappedIndexKey: wrappedIndexKey)
        }

        /// The key fields of a whole response.
        public init(_ response: MachinePullResponse) {
            self.init(accountID: response.accountID, vaultID: response.vaultID, slotID: response.slotID,
                      wrappedVK: response.wrappedVK, wrappedIndexKey: response.wrappedIndexKey)
        }
    }

    /// One item of a pull answer as positions in its body, read without copying anything (what
    /// `MachinePull` opens items from); `view(of:in:)` makes its `ItemView`.
    public struct ItemSpan: Sendable {
        /// The bytes between the quotes of each string field.
        public let keyRef: Range<Int>, encName: Range<Int>, encValue: Range<Int>, updatedAt: Range<Int>
        /// Whether every string field is plain (ASCII, no escape), so its bytes are its value
        /// as they stand; a server writes nothing else (base64url, `xc1.` blobs, times).
        public let plain: Bool
        /// `deleted`.
        public let deleted: Bool
    }

    /// Takes each item as soon as it has been read (with its index in `items`); returns false
    /// to be given no more.
    public typealias ItemSink = (Int, ItemSpan) -> Bool

    /// A pull response read by `spans(_:itemsAfterKeys:)`: its items as positions in the body.
    public struct Spans: Sendable {
        /// The key fields.
        public let keys: Keys
        /// Every item, in the body's order.
        public let items: [ItemSpan]
        /// `revision` (present on the answer to a conditional pull).
        public let revision: Int64?
    }

    /// `response(_:)` without a string per item field, and when every key field comes before
    /// `items` (as `responseHead` writes them), `itemsAfterKeys` is called with them once, as
    /// `items` begins; the sink it returns (nil: none) is given each item as soon as it is
    /// read, so the caller can open items while the rest is still being read. The whole body
    /// is still read and checked as strictly: a sink only ever sees items of a body that may
    /// yet turn out malformed, so what it does with them must be thrown away when this throws.
    public static func spans(_ bytes: [UInt8], itemsAfterKeys: (Keys) -> ItemSink?) throws(ReadError) -> Spans {
        do throws(StrictJSONReader.Failure) {
            var reader = StrictJSONReader(bytes)
            let spans = try reader.pullResponse(itemsAfterKeys: itemsAfterKeys)
            try reader.end()
            return spans
        } catch {
            throw ReadError(message: error.message)
        }
    }

    /// The `ItemView` of an item `spans` read from `bytes`.
    public static func view(of item: ItemSpan, in bytes: UnsafeBufferPointer<UInt8>) throws(ReadError) -> ItemView {
        func text(_ range: Range<Int>) throws(ReadError) -> String {
            if item.plain { return String(decoding: UnsafeBufferPointer(rebasing: bytes[range]), as: UTF8.self) }
            // With escapes: read the string again (it was checked once already).
            do throws(StrictJSONReader.Failure) {
                var reader = StrictJSONReader(Array(bytes[(range.lowerBound - 1)...range.upperBound]))
                return try reader.string()
            } catch {
                throw ReadError(message: error.message)
            }
        }
        return ItemView(keyRef: try text(item.keyRef), encName: try text(item.encName), encValue: try text(item.encValue),
                        updatedAt: try text(item.updatedAt), deleted: item.deleted)
    }

    /// Parse a pull response strictly: the documented fields must be present with the
    /// documented types; unknown fields are read (strictly) and ignored, as the general
    /// decoder does; a duplicate key anywhere, trailing bytes, invalid UTF-8 or a lone
    /// surrogate is an error.
    ///
    /// Why typed, not a tree: a generic value tree costs a dictionary and five strings per
    /// item before anything is checked; reading straight into the response keeps a 1,000-item
    /// pull at a few allocations per item (and `spans` at none).
    public static func response(_ bytes: [UInt8]) throws(ReadError) -> MachinePullResponse {
        let read = try spans(bytes, itemsAfterKeys: { _ in nil })
        let items = try bytes.withUnsafeBufferPointer { (bytes) throws(ReadError) in
            try read.items.map { (item) throws(ReadError) in try view(of: item, in: bytes) }
        }
        return MachinePullResponse(accountID: read.keys.accountID, vaultID: read.keys.vaultID, slotID: read.keys.slotID,
                                   wrappedVK: read.keys.wrappedVK, wrappedIndexKey: read.keys.wrappedIndexKey,
                                   items: items, revision: read.revision)
    }

    static let responseStringKeys: [ResponseKey] = [.accountID, .vaultID, .slotID, .wrappedVK, .wrappedIndexKey]
}

extension StrictJSONReader {
    /// The top-level object of a pull response.
    mutating func pullResponse(itemsAfterKeys: (PullWire.Keys) -> PullWire.ItemSink?) throws(Failure) -> PullWire.Spans {
        let itemsKey = PullWire.ResponseKey.items.stringValue
        let revisionKey = PullWire.ResponseKey.revision.stringValue
        var items: [PullWire.ItemSpan]? = nil
        var revision: Int64? = nil
        let fields = try object(strings: PullWire.responseStringKeys.map(\.stringValue), notObject: "the body is not a JSON object") {
            (reader, key, known) throws(Failure) in
            if key == revisionKey {
                // Present on the answer to a conditional pull.
                guard revision == nil else { throw Failure("duplicate key \(revisionKey)") }
                revision = try reader.revisionValue()
                return true
            }
            guard key == itemsKey else { return false }
            guard items == nil else { throw Failure("duplicate key \(itemsKey)") }
            items = try reader.itemList(sink: PullWire.Keys(read: known).flatMap(itemsAfterKeys))
            return true
        }
        guard let items else { throw Failure("field \(itemsKey) is missing or not an array") }
        guard let keys = PullWire.Keys(read: fields) else { throw Failure("a key field is missing") }  // object(strings:) checked them
        return PullWire.Spans(keys: keys, items: items, revision: revision)
    }

    // The item's keys, from its coding keys (the wire names are spelled once, in Items.swift).
    private static let keyRefKey = PullWire.ItemKey.keyRef.stringValue
    private static let encNameKey = PullWire.ItemKey.encName.stringValue
    private static let encValueKey = PullWire.ItemKey.encValue.stringValue
    private static let updatedAtKey = PullWire.ItemKey.updatedAt.stringValue
    private static let deletedKey = PullWire.ItemKey.deleted.stringValue

    private mutating func itemList(sink: PullWire.ItemSink?) throws(Failure) -> [PullWire.ItemSpan] {
        guard try beginArray() else { throw Failure("field \(PullWire.ResponseKey.items.stringValue) is missing or not an array") }
        var items: [PullWire.ItemSpan] = []
        var sink = sink
        var first = true
        while try nextElement(&first) {
            let item = try item()
            if let give = sink, !give(items.count, item) { sink = nil }
            items.append(item)
        }
        return items
    }

    /// One item object. Its own loop rather than `object(strings:)`: a pull has thousands of
    /// items, and naming each field in a switch costs no array per item.
    private mutating func item() throws(Failure) -> PullWire.ItemSpan {
        guard try beginObject() else { throw Failure("an item is not an object") }
        typealias Field = (range: Range<Int>, plain: Bool)
        var keyRef: Field?, encName: Field?, encValue: Field?, updatedAt: Field?, deleted: Bool?
        var unknown: [String] = []
        var first = true
        while let key = try nextKey(&first) {
            switch key {
            case Self.keyRefKey:
                guard keyRef == nil else { throw Failure("duplicate key \(key)") }
                keyRef = try stringSpanValue(key)
            case Self.encNameKey:
                guard encName == nil else { throw Failure("duplicate key \(key)") }
                encName = try stringSpanValue(key)
            case Self.encValueKey:
                guard encValue == nil else { throw Failure("duplicate key \(key)") }
                encValue = try stringSpanValue(key)
            case Self.updatedAtKey:
                guard updatedAt == nil else { throw Failure("duplicate key \(key)") }
                updatedAt = try stringSpanValue(key)
            case Self.deletedKey:
                guard deleted == nil else { throw Failure("duplicate key \(key)") }
                deleted = try boolValue(key)
            default: try skipUnknown(key, seen: &unknown)
            }
        }
        guard let keyRef else { throw Failure("field \(Self.keyRefKey) is missing or not a string") }
        guard let encName else { throw Failure("field \(Self.encNameKey) is missing or not a string") }
        guard let encValue else { throw Failure("field \(Self.encValueKey) is missing or not a string") }
        guard let updatedAt else { throw Failure("field \(Self.updatedAtKey) is missing or not a string") }
        guard let deleted else { throw Failure("field \(Self.deletedKey) is missing or not a boolean") }
        return PullWire.ItemSpan(keyRef: keyRef.range, encName: encName.range, encValue: encValue.range, updatedAt: updatedAt.range,
                                 plain: keyRef.plain && encName.plain && encValue.plain && updatedAt.plain, deleted: deleted)
    }
}
