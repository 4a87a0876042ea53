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
    /// `{}` or `{"key_refs":[…]}`; key refs are base64url (no characters to escape).
    static func requestBody(keyRefs: [String]?) -> [UInt8] {
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
    static func response(_ bytes: [UInt8]) throws(ClientError) -> MachinePullResponse {
        do throws(JSONReader.Failure) {
            var reader = JSONReader(bytes)
            let value = try reader.document()
            guard case let .object(fields) = value else { throw JSONReader.Failure("the body is not a JSON object") }
            func string(_ object: [String: JSONValue], _ key: String) throws(JSONReader.Failure) -> String {
                guard case let .string(text)? = object[key] else { throw JSONReader.Failure("field \(key) is missing or not a string") }
                return text
            }
            guard case let .array(list)? = fields["items"] else { throw JSONReader.Failure("field items is missing or not an array") }
            var items: [ItemView] = []
            items.reserveCapacity(list.count)
            for element in list {
                guard case let .object(item) = element else { throw JSONReader.Failure("an item is not an object") }
                guard case let .bool(deleted)? = item["deleted"] else { throw JSONReader.Failure("field deleted is missing or not a boolean") }
                items.append(ItemView(keyRef: try string(item, "key_ref"), encName: try string(item, "enc_name"),
                                      encValue: try string(item, "enc_value"), updatedAt: try string(item, "updated_at"),
                                      deleted: deleted))
            }
            return MachinePullResponse(accountID: try string(fields, "account_id"), vaultID: try string(fields, "vault_id"),
                                       slotID: try string(fields, "slot_id"), wrappedVK: try string(fields, "wrapped_vk"),
                                       wrappedIndexKey: try string(fields, "wrapped_index_key"), items: items)
        } catch {
            throw .unexpectedResponse("POST /v1/machine/pull: body is not the documented MachinePullResponse (\(error.message))")
        }
    }
}

/// A JSON value (numbers are kept as their text: a pull has none).
indirect enum JSONValue {
    case object([String: JSONValue]), array([JSONValue]), string(String), bool(Bool), null, number(String)
}

/// A strict RFC 8259 reader: one value, whitespace around it, nothing after it; a duplicate
/// key in an object is an error (the general decoder would silently take one of them).
struct JSONReader {
    /// What was wrong, without echoing content.
    struct Failure: Error {
        let message: String
        init(_ message: String) { self.message = message }
    }

    private let bytes: [UInt8]
    private var index = 0
    private var depth = 0

    init(_ bytes: [UInt8]) { self.bytes = bytes }

    /// The one value of the document.
    mutating func document() throws(Failure) -> JSONValue {
        let value = try self.value()
        skipSpace()
        guard index == bytes.count else { throw Failure("trailing bytes after the JSON value at offset \(index)") }
        return value
    }

    private mutating func skipSpace() {
        while index < bytes.count, bytes[index] == 0x20 || bytes[index] == 0x0A || bytes[index] == 0x0D || bytes[index] == 0x09 { index += 1 }
    }

    private mutating func expect(_ literal: StaticString) throws(Failure) {
        let count = literal.utf8CodeUnitCount
        guard index + count <= bytes.count else { throw Failure("truncated JSON at offset \(index)") }
        for offset in 0..<count where bytes[index + offset] != literal.utf8Start[offset] {
            throw Failure("invalid literal at offset \(index)")
        }
        index += count
    }

    private mutating func value() throws(Failure) -> JSONValue {
        skipSpace()
        guard index < bytes.count else { throw Failure("truncated JSON at offset \(index)") }
        switch bytes[index] {
        case UInt8(ascii: "{"): return try object()
        case UInt8(ascii: "["): return try array()
        case UInt8(ascii: "\""): return .string(try string())
        case UInt8(ascii: "t"): try expect("true"); return .bool(true)
        case UInt8(ascii: "f"): try expect("false"); return .bool(false)
        case UInt8(ascii: "n"): try expect("null"); return .null
        case UInt8(ascii: "-"), UInt8(ascii: "0")...UInt8(ascii: "9"): return .number(try number())
        default: throw Failure("unexpected byte at offset \(index)")
        }
    }

    private mutating func nest() throws(Failure) {
        depth += 1
        guard depth <= 64 else { throw Failure("JSON nested too deeply") }
    }

    private mutating func object() throws(Failure) -> JSONValue {
        try nest()
        index += 1
        var fields: [String: JSONValue] = [:]
        skipSpace()
        if index < bytes.count, bytes[index] == UInt8(ascii: "}") { index += 1; depth -= 1; return .object(fields) }
        while true {
            skipSpace()
            guard index < bytes.count, bytes[index] == UInt8(ascii: "\"") else { throw Failure("expected a key at offset \(index)") }
            let key = try string()
            skipSpace()
            guard index < bytes.count, bytes[index] == UInt8(ascii: ":") else { throw Failure("expected ':' at offset \(index)") }
            index += 1
            guard fields.updateValue(try value(), forKey: key) == nil else { throw Failure("duplicate key \(key)") }
            skipSpace()
            guard index < bytes.count else { throw Failure("truncated JSON at offset \(index)") }
            if bytes[index] == UInt8(ascii: ",") { index += 1; continue }
            guard bytes[index] == UInt8(ascii: "}") else { throw Failure("expected ',' or '}' at offset \(index)") }
            index += 1
            depth -= 1
            return .object(fields)
        }
    }

    private mutating func array() throws(Failure) -> JSONValue {
        try nest()
        index += 1
        var elements: [JSONValue] = []
        skipSpace()
        if index < bytes.count, bytes[index] == UInt8(ascii: "]") { index += 1; depth -= 1; return .array(elements) }
        while true {
            elements.append(try value())
            skipSpace()
            guard index < bytes.count else { throw Failure("truncated JSON at offset \(index)") }
            if bytes[index] == UInt8(ascii: ",") { index += 1; continue }
            guard bytes[index] == UInt8(ascii: "]") else { throw Failure("expected ',' or ']' at offset \(index)") }
            index += 1
            depth -= 1
            return .array(elements)
        }
    }

    private mutating func number() throws(Failure) -> String {
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
        return String(decoding: bytes[start..<index], as: UTF8.self)
    }

    private mutating func string() throws(Failure) -> String {
        let start = index
        index += 1
        var scalars: [UInt8] = []
        var plainFrom = index
        while index < bytes.count {
            let byte = bytes[index]
            if byte == UInt8(ascii: "\"") {
                let text: String
                if scalars.isEmpty {
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
