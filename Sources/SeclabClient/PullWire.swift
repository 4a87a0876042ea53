import SeclabAPI

/// The machine pull's JSON, read and written without Foundation's coders.
///
/// Why: in a static `seclab-run`, the first use of `JSONDecoder` pays for the runtime's
/// protocol-conformance scans and generic metadata, and then decodes every item through
/// keyed containers — together several milliseconds of the time to child (issue 5
/// performance). This reader is strict where it matters (the documented fields must be
/// present with the documented types; anything else is `unexpectedResponse`) and, like the
/// general decoder, ignores fields it does not know.
enum PullWire {
    /// `{}` or `{"key_refs":[…]}`; key refs are base64url (no characters to escape). With
    /// `ifRevision`, a conditional pull: `{"if_revision":N}` (issue 16 watch).
    static func requestBody(keyRefs: [String]?, ifRevision: Int64? = nil) -> [UInt8] {
        if let ifRevision {
            precondition(keyRefs == nil, "a conditional pull is always a full pull")
            return Array("{\"if_revision\":\(ifRevision)}".utf8)
        }
        guard let keyRefs else { return Array("{}".utf8) }
        var out = Array("{\"key_refs\":[".utf8)
        for (index, ref) in keyRefs.enumerated() {
            if index > 0 { out.append(UInt8(ascii: ",")) }
            out.append(UInt8(ascii: "\""))
            out += ref.utf8
            out.append(UInt8(ascii: "\""))
        }
        out += "]}".utf8
        return out
    }

    /// Parse a pull response.
    ///
    /// Why typed, not a tree: a generic value tree costs a dictionary and five strings per item
    /// before anything is checked; reading straight into the response keeps a 1,000-item pull
    /// at a few allocations per item (issue 5 performance). The rules are the tree's: known
    /// fields with the documented types, unknown fields read (strictly) and ignored, a
    /// duplicate key anywhere is an error.
    static func response(_ bytes: [UInt8]) throws(ClientError) -> MachinePullResponse {
        switch try conditionalResponse(bytes) {
        case let .full(response): return response
        case .unchanged: throw .unexpectedResponse("POST /v1/machine/pull: an 'unchanged' answer to a pull that was not conditional")
        }
    }

    /// The answer to a conditional pull: `{"revision":N,"unchanged":true}` or a full response.
    enum Answer {
        /// The vault is still at this revision.
        case unchanged(Int64)
        /// A full answer (with its `revision` when the request was conditional).
        case full(MachinePullResponse)
    }

    /// Parse the answer to a pull, conditional or not.
    static func conditionalResponse(_ bytes: [UInt8]) throws(ClientError) -> Answer {
        do throws(JSONReader.Failure) {
            var reader = JSONReader(bytes)
            let answer = try reader.pullAnswer()
            try reader.end()
            return answer
        } catch {
            throw .unexpectedResponse("POST /v1/machine/pull: body is not the documented MachinePullResponse (\(error.message))")
        }
    }
}

extension JSONReader {
    /// The top-level object of a pull response, or of a conditional pull's "unchanged" answer.
    mutating func pullAnswer() throws(Failure) -> PullWire.Answer {
        guard try beginObject() else { throw Failure("the body is not a JSON object") }
        var fields = [String?](repeating: nil, count: 5)
        var items: [ItemView]? = nil
        var revision: Int64? = nil
        var unchanged: Bool? = nil
        var unknown: [String] = []
        var first = true
        while let key = try nextKey(&first) {
            let known = Self.responseKeys.firstIndex(of: key)
            if let known {
                guard fields[known] == nil else { throw Failure("duplicate key \(key)") }
                fields[known] = try stringValue(key)
            } else if key == "items" {
                guard items == nil else { throw Failure("duplicate key items") }
                items = try itemList()
            } else if key == "revision" {
                guard revision == nil else { throw Failure("duplicate key revision") }
                revision = try revisionValue()
            } else if key == "unchanged" {
                guard unchanged == nil else { throw Failure("duplicate key unchanged") }
                unchanged = try boolValue("unchanged")
            } else {
                try skipUnknown(key, seen: &unknown)
            }
        }
        if let unchanged {
            // Why strict: an "unchanged" answer that also carried keys or items would be
            // ambiguous; it must be exactly the documented two fields.
            guard unchanged, let revision, items == nil, fields.allSatisfy({ $0 == nil }) else {
                throw Failure("an 'unchanged' answer must be exactly {\"revision\":N,\"unchanged\":true}")
            }
            return .unchanged(revision)
        }
        guard let items else { throw Failure("field items is missing or not an array") }
        for (index, field) in fields.enumerated() where field == nil {
            throw Failure("field \(Self.responseKeys[index]) is missing or not a string")
        }
        return .full(MachinePullResponse(accountID: fields[0]!, vaultID: fields[1]!, slotID: fields[2]!, wrappedVK: fields[3]!,
                                         wrappedIndexKey: fields[4]!, items: items, revision: revision))
    }

    /// A vault revision: a JSON integer from -1 to 2^53 (no fraction, no exponent).
    private mutating func revisionValue() throws(Failure) -> Int64 {
        skipSpace()
        let start = index
        if index < bytes.count, bytes[index] == UInt8(ascii: "-") { index += 1 }
        while index < bytes.count, (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(bytes[index]), index - start < 17 { index += 1 }
        guard let value = Int64(String(decoding: bytes[start..<index], as: UTF8.self)), value >= -1,
              index >= bytes.count || !(UInt8(ascii: "0")...UInt8(ascii: "9")).contains(bytes[index]) && bytes[index] != UInt8(ascii: ".")
                && bytes[index] != UInt8(ascii: "e") && bytes[index] != UInt8(ascii: "E") else {
            throw Failure("field revision is not an integer revision")
        }
        return value
    }

    private static let responseKeys = ["account_id", "vault_id", "slot_id", "wrapped_vk", "wrapped_index_key"]
    private static let itemKeys = ["key_ref", "enc_name", "enc_value", "updated_at"]

    private mutating func itemList() throws(Failure) -> [ItemView] {
        guard try beginArray() else { throw Failure("field items is missing or not an array") }
        var items: [ItemView] = []
        var first = true
        while try nextElement(&first) {
            items.append(try item())
        }
        return items
    }

    private mutating func item() throws(Failure) -> ItemView {
        guard try beginObject() else { throw Failure("an item is not an object") }
        var fields = [String?](repeating: nil, count: 4)
        var deleted: Bool? = nil
        var unknown: [String] = []
        var first = true
        while let key = try nextKey(&first) {
            if let known = Self.itemKeys.firstIndex(of: key) {
                guard fields[known] == nil else { throw Failure("duplicate key \(key)") }
                fields[known] = try stringValue(key)
            } else if key == "deleted" {
                guard deleted == nil else { throw Failure("duplicate key deleted") }
                deleted = try boolValue("deleted")
            } else {
                try skipUnknown(key, seen: &unknown)
            }
        }
        guard let deleted else { throw Failure("field deleted is missing or not a boolean") }
        for (index, field) in fields.enumerated() where field == nil {
            throw Failure("field \(Self.itemKeys[index]) is missing or not a string")
        }
        return ItemView(keyRef: fields[0]!, encName: fields[1]!, encValue: fields[2]!, updatedAt: fields[3]!, deleted: deleted)
    }

    /// A known field's value, which must be a string.
    private mutating func stringValue(_ key: String) throws(Failure) -> String {
        skipSpace()
        guard index < bytes.count, bytes[index] == UInt8(ascii: "\"") else { throw Failure("field \(key) is missing or not a string") }
        return try string()
    }

    /// A known field's value, which must be `true` or `false`.
    private mutating func boolValue(_ key: String) throws(Failure) -> Bool {
        skipSpace()
        guard index < bytes.count else { throw Failure("truncated JSON at offset \(index)") }
        switch bytes[index] {
        case UInt8(ascii: "t"): try expect("true"); return true
        case UInt8(ascii: "f"): try expect("false"); return false
        default: throw Failure("field \(key) is missing or not a boolean")
        }
    }

    /// An unknown field: read strictly, kept only to refuse a second one of the same name.
    private mutating func skipUnknown(_ key: String, seen: inout [String]) throws(Failure) {
        guard !seen.contains(key) else { throw Failure("duplicate key \(key)") }
        seen.append(key)
        try skipValue()
    }
}

/// A strict RFC 8259 reader: one value, whitespace around it, nothing after it; a duplicate
/// key in an object is an error (the general decoder would silently take one of them).
struct JSONReader {
    /// What was wrong, without echoing content.
    struct Failure: Error {
        let message: String
        init(_ message: String) { self.message = message }
    }

    fileprivate let bytes: [UInt8]
    fileprivate var index = 0
    private var depth = 0

    init(_ bytes: [UInt8]) { self.bytes = bytes }

    /// Nothing but whitespace may follow the value just read.
    mutating func end() throws(Failure) {
        skipSpace()
        guard index == bytes.count else { throw Failure("trailing bytes after the JSON value at offset \(index)") }
    }

    /// Consume `{` if the next value is an object (false, nothing consumed, otherwise).
    fileprivate mutating func beginObject() throws(Failure) -> Bool { try begin(UInt8(ascii: "{")) }

    /// Consume `[` if the next value is an array (false, nothing consumed, otherwise).
    fileprivate mutating func beginArray() throws(Failure) -> Bool { try begin(UInt8(ascii: "[")) }

    private mutating func begin(_ opening: UInt8) throws(Failure) -> Bool {
        skipSpace()
        guard index < bytes.count else { throw Failure("truncated JSON at offset \(index)") }
        guard bytes[index] == opening else { return false }
        try nest()
        index += 1
        return true
    }

    /// The next key of the object begun with `beginObject` (its `:` consumed), or nil at `}`.
    fileprivate mutating func nextKey(_ first: inout Bool) throws(Failure) -> String? {
        skipSpace()
        guard index < bytes.count else { throw Failure("truncated JSON at offset \(index)") }
        if first {
            first = false
            if bytes[index] == UInt8(ascii: "}") { index += 1; depth -= 1; return nil }
        } else {
            if bytes[index] == UInt8(ascii: "}") { index += 1; depth -= 1; return nil }
            guard bytes[index] == UInt8(ascii: ",") else { throw Failure("expected ',' or '}' at offset \(index)") }
            index += 1
            skipSpace()
        }
        guard index < bytes.count, bytes[index] == UInt8(ascii: "\"") else { throw Failure("expected a key at offset \(index)") }
        let key = try string()
        skipSpace()
        guard index < bytes.count, bytes[index] == UInt8(ascii: ":") else { throw Failure("expected ':' at offset \(index)") }
        index += 1
        return key
    }

    /// Whether another element of the array begun with `beginArray` follows (its `,` consumed).
    fileprivate mutating func nextElement(_ first: inout Bool) throws(Failure) -> Bool {
        skipSpace()
        guard index < bytes.count else { throw Failure("truncated JSON at offset \(index)") }
        if bytes[index] == UInt8(ascii: "]") { index += 1; depth -= 1; return false }
        if first { first = false; return true }
        guard bytes[index] == UInt8(ascii: ",") else { throw Failure("expected ',' or ']' at offset \(index)") }
        index += 1
        return true
    }

    fileprivate mutating func skipSpace() {
        while index < bytes.count, bytes[index] == 0x20 || bytes[index] == 0x0A || bytes[index] == 0x0D || bytes[index] == 0x09 { index += 1 }
    }

    fileprivate mutating func expect(_ literal: StaticString) throws(Failure) {
        let count = literal.utf8CodeUnitCount
        guard index + count <= bytes.count else { throw Failure("truncated JSON at offset \(index)") }
        for offset in 0..<count where bytes[index + offset] != literal.utf8Start[offset] {
            throw Failure("invalid literal at offset \(index)")
        }
        index += count
    }

    /// Read one value of any kind strictly and drop it (fields the pull does not know); a
    /// duplicate key inside it is still an error.
    fileprivate mutating func skipValue() throws(Failure) {
        skipSpace()
        guard index < bytes.count else { throw Failure("truncated JSON at offset \(index)") }
        switch bytes[index] {
        case UInt8(ascii: "{"):
            _ = try beginObject()
            var keys = Set<String>()
            var first = true
            while let key = try nextKey(&first) {
                guard keys.insert(key).inserted else { throw Failure("duplicate key \(key)") }
                try skipValue()
            }
        case UInt8(ascii: "["):
            _ = try beginArray()
            var first = true
            while try nextElement(&first) { try skipValue() }
        case UInt8(ascii: "\""): _ = try string()
        case UInt8(ascii: "t"): try expect("true")
        case UInt8(ascii: "f"): try expect("false")
        case UInt8(ascii: "n"): try expect("null")
        case UInt8(ascii: "-"), UInt8(ascii: "0")...UInt8(ascii: "9"): try number()
        default: throw Failure("unexpected byte at offset \(index)")
        }
    }

    private mutating func nest() throws(Failure) {
        depth += 1
        guard depth <= 64 else { throw Failure("JSON nested too deeply") }
    }

    private mutating func number() throws(Failure) {
        let start = index
        if bytes[index] == UInt8(ascii: "-") { index += 1 }
        let digits = { (reader: inout JSONReader) -> Int in
            let from = reader.index
            while reader.index < reader.bytes.count, (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(reader.bytes[reader.index]) { reader.index += 1 }
            return reader.index - from
        }
        let integer = digits(&self)
        guard integer > 0, !(integer > 1 && bytes[index - integer] == UInt8(ascii: "0")) else { throw Failure("invalid number at offset \(start)") }
        if index < bytes.count, bytes[index] == UInt8(ascii: ".") {
            index += 1
            guard digits(&self) > 0 else { throw Failure("invalid number at offset \(start)") }
        }
        if index < bytes.count, bytes[index] == UInt8(ascii: "e") || bytes[index] == UInt8(ascii: "E") {
            index += 1
            if index < bytes.count, bytes[index] == UInt8(ascii: "+") || bytes[index] == UInt8(ascii: "-") { index += 1 }
            guard digits(&self) > 0 else { throw Failure("invalid number at offset \(start)") }
        }
    }

    fileprivate mutating func string() throws(Failure) -> String {
        let start = index
        index += 1
        var scalars: [UInt8] = []
        var plainFrom = index
        var ascii = true
        while index < bytes.count {
            let byte = bytes[index]
            if byte == UInt8(ascii: "\"") {
                let text: String
                if scalars.isEmpty && ascii {
                    // The common case (ids, base64url, blobs): ASCII is valid UTF-8 as it stands.
                    let (from, to) = (plainFrom, index)
                    text = bytes.withUnsafeBufferPointer { String(decoding: UnsafeBufferPointer(rebasing: $0[from..<to]), as: UTF8.self) }
                } else if scalars.isEmpty {
                    guard let valid = String(validating: bytes[plainFrom..<index], as: UTF8.self) else { throw Failure("invalid UTF-8 in a string at offset \(start)") }
                    text = valid
                } else {
                    scalars += bytes[plainFrom..<index]
                    guard let valid = String(validating: scalars, as: UTF8.self) else { throw Failure("invalid UTF-8 in a string at offset \(start)") }
                    text = valid
                }
                index += 1
                return text
            }
            guard byte >= 0x20 else { throw Failure("control character in a string at offset \(index)") }
            if byte >= 0x80 { ascii = false }
            if byte == UInt8(ascii: "\\") {
                scalars += bytes[plainFrom..<index]
                index += 1
                guard index < bytes.count else { break }
                switch bytes[index] {
                case UInt8(ascii: "\""): scalars.append(UInt8(ascii: "\""))
                case UInt8(ascii: "\\"): scalars.append(UInt8(ascii: "\\"))
                case UInt8(ascii: "/"): scalars.append(UInt8(ascii: "/"))
                case UInt8(ascii: "b"): scalars.append(0x08)
                case UInt8(ascii: "f"): scalars.append(0x0C)
                case UInt8(ascii: "n"): scalars.append(0x0A)
                case UInt8(ascii: "r"): scalars.append(0x0D)
                case UInt8(ascii: "t"): scalars.append(0x09)
                case UInt8(ascii: "u"):
                    var code = try hex4(at: index + 1)
                    index += 4
                    if (0xD800..<0xDC00).contains(code) {
                        // A surrogate pair: the low half must follow as \uDC00–\uDFFF.
                        guard index + 6 < bytes.count, bytes[index + 1] == UInt8(ascii: "\\"), bytes[index + 2] == UInt8(ascii: "u") else {
                            throw Failure("lone surrogate in a string at offset \(index)")
                        }
                        let low = try hex4(at: index + 3)
                        guard (0xDC00..<0xE000).contains(low) else { throw Failure("lone surrogate in a string at offset \(index)") }
                        code = 0x10000 + ((code - 0xD800) << 10) + (low - 0xDC00)
                        index += 6
                    }
                    guard let scalar = Unicode.Scalar(code) else { throw Failure("lone surrogate in a string at offset \(index)") }
                    scalars += Array(String(Character(scalar)).utf8)
                default: throw Failure("invalid escape in a string at offset \(index)")
                }
                index += 1
                plainFrom = index
                continue
            }
            index += 1
        }
        throw Failure("unterminated string at offset \(start)")
    }

    private func hex4(at offset: Int) throws(Failure) -> UInt32 {
        guard offset + 4 <= bytes.count else { throw Failure("truncated \\u escape at offset \(offset)") }
        var code: UInt32 = 0
        for byte in bytes[offset..<offset + 4] {
            let nibble: UInt8
            switch byte {
            case UInt8(ascii: "0")...UInt8(ascii: "9"): nibble = byte - UInt8(ascii: "0")
            case UInt8(ascii: "a")...UInt8(ascii: "f"): nibble = byte - UInt8(ascii: "a") + 10
            case UInt8(ascii: "A")...UInt8(ascii: "F"): nibble = byte - UInt8(ascii: "A") + 10
            default: throw Failure("invalid \\u escape at offset \(offset)")
            }
            code = code << 4 | UInt32(nibble)
        }
        return code
    }
}
