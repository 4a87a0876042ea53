/// A strict RFC 8259 reader: one value, whitespace around it, nothing after it; a duplicate
/// key in an object is an error (the general decoder would silently take one of them).
///
/// Why its own reader: see `PullWire`. It reads into the caller's types directly (no value
/// tree); `PullWire` holds the one caller today.
struct StrictJSONReader {
    /// What was wrong, without echoing content.
    struct Failure: Error {
        let message: String
        init(_ message: String) { self.message = message }
    }

    let bytes: [UInt8]
    var index = 0
    private var depth = 0

    init(_ bytes: [UInt8]) { self.bytes = bytes }

    /// One object whose fields named `keys` must all be present as strings (returned in the
    /// order of `keys`). Any other key is offered to `other` with the string fields read so
    /// far (nil: not yet), which reads its value and returns true, or returns false for a key
    /// it does not know (then read strictly and ignored); a duplicate key is an error either way.
    mutating func object(strings keys: [String], notObject: String,
                         other: (inout StrictJSONReader, String, [String?]) throws(Failure) -> Bool) throws(Failure) -> [String] {
        guard try beginObject() else { throw Failure(notObject) }
        var fields = [String?](repeating: nil, count: keys.count)
        var unknown: [String] = []
        var first = true
        while let key = try nextKey(&first) {
            if let known = keys.firstIndex(of: key) {
                guard fields[known] == nil else { throw Failure("duplicate key \(key)") }
                fields[known] = try stringValue(key)
            } else if try !other(&self, key, fields) {
                try skipUnknown(key, seen: &unknown)
            }
        }
        var values = [String]()
        values.reserveCapacity(keys.count)
        for (index, field) in fields.enumerated() {
            guard let field else { throw Failure("field \(keys[index]) is missing or not a string") }
            values.append(field)
        }
        return values
    }

    /// A known field's value, which must be a string.
    mutating func stringValue(_ key: String) throws(Failure) -> String {
        skipSpace()
        guard index < bytes.count, bytes[index] == UInt8(ascii: "\"") else { throw Failure("field \(key) is missing or not a string") }
        return try string()
    }

    /// A known field's value, which must be a string or `null` (nil).
    mutating func optionalStringValue(_ key: String) throws(Failure) -> String? {
        skipSpace()
        if index < bytes.count, bytes[index] == UInt8(ascii: "n") {
            try expect("null")
            return nil
        }
        return try stringValue(key)
    }

    /// A known field's value, which must be `true` or `false`.
    mutating func boolValue(_ key: String) throws(Failure) -> Bool {
        skipSpace()
        guard index < bytes.count else { throw Failure("truncated JSON at offset \(index)") }
        switch bytes[index] {
        case UInt8(ascii: "t"): try expect("true"); return true
        case UInt8(ascii: "f"): try expect("false"); return false
        default: throw Failure("field \(key) is missing or not a boolean")
        }
    }

    /// An unknown field: read strictly, kept only to refuse a second one of the same name.
    mutating func skipUnknown(_ key: String, seen: inout [String]) throws(Failure) {
        guard !seen.contains(key) else { throw Failure("duplicate key \(key)") }
        seen.append(key)
        try skipValue()
    }

    /// Nothing but whitespace may follow the value just read.
    mutating func end() throws(Failure) {
        skipSpace()
        guard index == bytes.count else { throw Failure("trailing bytes after the JSON value at offset \(index)") }
    }

    /// Consume `{` if the next value is an object (false, nothing consumed, otherwise).
    mutating func beginObject() throws(Failure) -> Bool { try begin(UInt8(ascii: "{")) }

    /// Consume `[` if the next value is an array (false, nothing consumed, otherwise).
    mutating func beginArray() throws(Failure) -> Bool { try begin(UInt8(ascii: "[")) }

    private mutating func begin(_ opening: UInt8) throws(Failure) -> Bool {
        skipSpace()
        guard index < bytes.count else { throw Failure("truncated JSON at offset \(index)") }
        guard bytes[index] == opening else { return false }
        try nest()
        index += 1
        return true
    }

    /// The next key of the object begun with `beginObject` (its `:` consumed), or nil at `}`.
    mutating func nextKey(_ first: inout Bool) throws(Failure) -> String? {
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
    mutating func nextElement(_ first: inout Bool) throws(Failure) -> Bool {
        skipSpace()
        guard index < bytes.count else { throw Failure("truncated JSON at offset \(index)") }
        if bytes[index] == UInt8(ascii: "]") { index += 1; depth -= 1; return false }
        if first { first = false; return true }
        guard bytes[index] == UInt8(ascii: ",") else { throw Failure("expected ',' or ']' at offset \(index)") }
        index += 1
        return true
    }

    mutating func skipSpace() {
        while index < bytes.count, bytes[index] == 0x20 || bytes[index] == 0x0A || bytes[index] == 0x0D || bytes[index] == 0x09 { index += 1 }
    }

    mutating func expect(_ literal: StaticString) throws(Failure) {
        let count = literal.utf8CodeUnitCount
        guard index + count <= bytes.count else { throw Failure("truncated JSON at offset \(index)") }
        for offset in 0..<count where bytes[index + offset] != literal.utf8Start[offset] {
            throw Failure("invalid literal at offset \(index)")
        }
        index += count
    }

    /// Read one value of any kind strictly and drop it (fields the pull does not know); a
    /// duplicate key inside it is still an error.
    mutating func skipValue() throws(Failure) {
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
        let digits = { (reader: inout StrictJSONReader) -> Int in
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

    /// A known field's string value as the position of its bytes between the quotes, and
    /// whether those bytes are its value as they stand (plain: ASCII, no escape); a string
    /// with anything else is read and checked by `string()`, and its value is not kept.
    mutating func stringSpanValue(_ key: String) throws(Failure) -> (range: Range<Int>, plain: Bool) {
        skipSpace()
        guard index < bytes.count, bytes[index] == UInt8(ascii: "\"") else { throw Failure("field \(key) is missing or not a string") }
        let start = index + 1
        if let end = plainEnd(from: start) {
            index = end + 1
            return (start..<end, true)
        }
        _ = try string()
        return (start..<(index - 1), false)
    }

    /// The position of the closing quote of a string whose content starts at `start`, when
    /// everything before it is plain (ASCII, no escape, no control character); nil otherwise.
    ///
    /// Eight bytes at a time: nearly every byte of a pull answer is inside such a string
    /// (base64url blobs), so this loop is most of reading one. A word is looked at byte by
    /// byte only when the word test flags it (the test can flag a word that holds none of
    /// these bytes, never miss one).
    func plainEnd(from start: Int) -> Int? {
        bytes.withUnsafeBufferPointer { buffer -> Int? in
            guard let base = UnsafeRawPointer(buffer.baseAddress) else { return nil }
            let ones: UInt64 = 0x0101_0101_0101_0101, highs: UInt64 = 0x8080_8080_8080_8080
            var at = start
            while at + 8 <= buffer.count {
                let word = base.loadUnaligned(fromByteOffset: at, as: UInt64.self)
                // A byte of 0x80 or more, below 0x20, or equal to '"' or '\\' (the classic
                // has-zero-byte test on the word and on it xor each of the two).
                let quote = word ^ (ones &* 0x22), backslash = word ^ (ones &* 0x5C)
                let flags = (word | (word &- ones &* 0x20) | (quote &- ones) & ~quote | (backslash &- ones) & ~backslash) & highs
                if flags != 0 { break }
                at += 8
            }
            while at < buffer.count {
                let byte = buffer[at]
                if byte == UInt8(ascii: "\"") { return at }
                if byte < 0x20 || byte >= 0x80 || byte == UInt8(ascii: "\\") { return nil }
                at += 1
            }
            return nil
        }
    }

    mutating func string() throws(Failure) -> String {
        let start = index
        // Fast path: no escape, no control character, only ASCII (ids, base64url blobs, times:
        // nearly every string of a pull) — scanned through a raw pointer, copied once. A string
        // with anything else is read again below, byte by byte, with every check.
        if let end = plainEnd(from: start + 1) {
            index = end + 1
            return bytes.withUnsafeBufferPointer { String(decoding: UnsafeBufferPointer(rebasing: $0[(start + 1)..<end]), as: UTF8.self) }
        }
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
