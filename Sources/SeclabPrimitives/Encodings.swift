/// An error from a strict text decoder: what was wrong and where.
public struct DecodingError: Error, Equatable, Sendable, CustomStringConvertible {
    /// A one-line message naming what was wrong.
    public let message: String

    /// Make an error with a message.
    public init(_ message: String) { self.message = message }

    /// The message.
    public var description: String { message }
}

/// base64url without padding (RFC 4648 §5), strict as spec §0 requires: padding, white
/// space, non-alphabet characters and non-zero unused bits are rejected, so one byte
/// string has exactly one accepted text.
public enum Base64URL {
    static let alphabet = Array("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_".utf8)
    static let reverse: [UInt8] = {
        var table = [UInt8](repeating: 0xFF, count: 256)
        for (index, char) in alphabet.enumerated() { table[Int(char)] = UInt8(index) }
        return table
    }()

    /// Encode without padding.
    public static func encode(_ bytes: some Collection<UInt8>) -> String {
        let input = Array(bytes)
        var out = [UInt8]()
        out.reserveCapacity((input.count * 4 + 2) / 3)
        var i = 0
        while i + 3 <= input.count {
            let n = UInt32(input[i]) << 16 | UInt32(input[i + 1]) << 8 | UInt32(input[i + 2])
            out.append(alphabet[Int(n >> 18 & 63)]); out.append(alphabet[Int(n >> 12 & 63)])
            out.append(alphabet[Int(n >> 6 & 63)]); out.append(alphabet[Int(n & 63)])
            i += 3
        }
        switch input.count - i {
        case 1:
            let n = UInt32(input[i]) << 16
            out.append(alphabet[Int(n >> 18 & 63)]); out.append(alphabet[Int(n >> 12 & 63)])
        case 2:
            let n = UInt32(input[i]) << 16 | UInt32(input[i + 1]) << 8
            out.append(alphabet[Int(n >> 18 & 63)]); out.append(alphabet[Int(n >> 12 & 63)])
            out.append(alphabet[Int(n >> 6 & 63)])
        default: break
        }
        return String(decoding: out, as: UTF8.self)
    }

    /// Decode strictly, or nil for any defect `decode` would name: the fast path for hot
    /// loops (1,000-item pulls), which builds no error text and copies nothing first.
    public static func decodeIfValid(_ text: some StringProtocol) -> [UInt8]? {
        if let result = text.utf8.withContiguousStorageIfAvailable({ decodeIfValid(utf8: $0) }) { return result }
        return Array(text.utf8).withUnsafeBufferPointer { decodeIfValid(utf8: $0) }
    }

    /// `decodeIfValid` on UTF-8 bytes already in memory (the pull reader's blobs).
    public static func decodeIfValid(utf8 chars: UnsafeBufferPointer<UInt8>) -> [UInt8]? {
        guard let count = decodedCount(utf8Count: chars.count) else { return nil }
        if count == 0 { return [] }
        var valid = true
        let out = [UInt8](unsafeUninitializedCapacity: count) { buffer, initialized in
            // Whatever was written is initialized; on failure the array is dropped anyway.
            initialized = decodeIfValid(utf8: chars, into: buffer.baseAddress!) ?? 0
            valid = initialized == count
        }
        return valid ? out : nil
    }

    /// How many bytes `count` characters decode to, or nil when no valid text has that length.
    public static func decodedCount(utf8Count count: Int) -> Int? {
        count % 4 == 1 ? nil : count * 6 / 8
    }

    /// `decodeIfValid` into memory the caller owns, which must have room for
    /// `decodedCount(utf8Count: chars.count)` bytes: the count written, or nil for any defect
    /// (then some of it may have been written).
    ///
    /// Four characters at a time (one validity test per group): this runs on every blob of
    /// a pull, about 300 bytes per item, and decoding into the caller's memory lets a pull
    /// open an item without an array per field. Same rules as `decode`.
    public static func decodeIfValid(utf8 chars: UnsafeBufferPointer<UInt8>, into buffer: UnsafeMutablePointer<UInt8>) -> Int? {
        guard decodedCount(utf8Count: chars.count) != nil else { return nil }
        return reverse.withUnsafeBufferPointer { table -> Int? in
            var input = 0, written = 0
            let whole = chars.count & ~3
            while input < whole {
                let a = table[Int(chars[input])], b = table[Int(chars[input + 1])]
                let c = table[Int(chars[input + 2])], d = table[Int(chars[input + 3])]
                // 0xFF marks a character outside the alphabet; valid values are < 64.
                guard (a | b | c | d) & 0xC0 == 0 else { return nil }
                let group = UInt32(a) << 18 | UInt32(b) << 12 | UInt32(c) << 6 | UInt32(d)
                buffer[written] = UInt8(truncatingIfNeeded: group >> 16)
                buffer[written + 1] = UInt8(truncatingIfNeeded: group >> 8)
                buffer[written + 2] = UInt8(truncatingIfNeeded: group)
                input += 4
                written += 3
            }
            let rest = chars.count - whole
            guard rest > 0 else { return written }
            // 2 or 3 characters: 1 or 2 bytes, and the unused low bits must be zero
            // (non-canonical text is refused, spec §0).
            let a = table[Int(chars[whole])], b = table[Int(chars[whole + 1])]
            let c = rest == 3 ? table[Int(chars[whole + 2])] : 0
            guard (a | b | c) & 0xC0 == 0 else { return nil }
            if rest == 2 {
                guard b & 0x0F == 0 else { return nil }
                buffer[written] = a << 2 | b >> 4
                return written + 1
            }
            guard c & 0x03 == 0 else { return nil }
            buffer[written] = a << 2 | b >> 4
            buffer[written + 1] = b << 4 | c >> 2
            return written + 2
        }
    }

    /// Decode strictly; `what` names the field in the error.
    public static func decode(_ text: some StringProtocol, what: String = "base64url text") throws(DecodingError) -> [UInt8] {
        if let bytes = decodeIfValid(text) { return bytes }
        // Invalid: walk the text again to say exactly what is wrong.
        let chars = Array(text.utf8)
        if chars.count % 4 == 1 {
            throw DecodingError("\(what): \(chars.count) characters is not a valid base64url length")
        }
        var out = [UInt8]()
        out.reserveCapacity(chars.count * 3 / 4)
        var accumulator: UInt32 = 0
        var bits = 0
        for (position, char) in chars.enumerated() {
            let value = reverse[Int(char)]
            if value == 0xFF {
                if char == UInt8(ascii: "=") {
                    throw DecodingError("\(what): padding '=' is not allowed (unpadded base64url only)")
                }
                throw DecodingError("\(what): character \(position + 1) is not in the base64url alphabet")
            }
            accumulator = accumulator << 6 | UInt32(value)
            bits += 6
            if bits >= 8 {
                bits -= 8
                out.append(UInt8(truncatingIfNeeded: accumulator >> UInt32(bits)))
            }
        }
        // Non-canonical: the unused low bits of the last character must be zero (spec §0).
        if bits > 0, accumulator & ((1 << UInt32(bits)) - 1) != 0 {
            throw DecodingError("\(what): non-canonical text (unused bits of the last character are not zero)")
        }
        return out
    }

    /// Decode strictly and require an exact byte length.
    public static func decode(_ text: some StringProtocol, count: Int, what: String) throws(DecodingError) -> [UInt8] {
        let bytes = try decode(text, what: what)
        guard bytes.count == count else {
            throw DecodingError("\(what): expected \(count) bytes, got \(bytes.count)")
        }
        return bytes
    }
}

/// RFC 4648 base32 (upper case, no padding), strict: non-alphabet characters and non-zero
/// unused bits are rejected (spec §0, §3). Callers strip the grouping they allow first.
public enum Base32 {
    static let alphabet = Array("ABCDEFGHIJKLMNOPQRSTUVWXYZ234567".utf8)
    static let reverse: [UInt8] = {
        var table = [UInt8](repeating: 0xFF, count: 256)
        for (index, char) in alphabet.enumerated() { table[Int(char)] = UInt8(index) }
        return table
    }()

    /// Encode, upper case, without padding.
    public static func encode(_ bytes: some Collection<UInt8>) -> String {
        var out = [UInt8]()
        var accumulator: UInt32 = 0
        var bits = 0
        for byte in bytes {
            accumulator = accumulator << 8 | UInt32(byte)
            bits += 8
            while bits >= 5 {
                bits -= 5
                out.append(alphabet[Int(accumulator >> UInt32(bits) & 31)])
            }
        }
        if bits > 0 { out.append(alphabet[Int(accumulator << UInt32(5 - bits) & 31)]) }
        return String(decoding: out, as: UTF8.self)
    }

    /// Decode strictly (upper case only; callers fold case where their format allows it).
    public static func decode(_ text: some StringProtocol, what: String = "base32 text") throws(DecodingError) -> [UInt8] {
        let chars = Array(text.utf8)
        if [1, 3, 6].contains(chars.count % 8) {
            throw DecodingError("\(what): \(chars.count) characters is not a valid base32 length")
        }
        var out = [UInt8]()
        var accumulator: UInt32 = 0
        var bits = 0
        for (position, char) in chars.enumerated() {
            let value = reverse[Int(char)]
            if value == 0xFF {
                if char == UInt8(ascii: "=") { throw DecodingError("\(what): padding '=' is not allowed") }
                throw DecodingError("\(what): character \(position + 1) is not in the base32 alphabet")
            }
            accumulator = (accumulator << 5 | UInt32(value)) & 0xFFFF
            bits += 5
            if bits >= 8 {
                bits -= 8
                out.append(UInt8(truncatingIfNeeded: accumulator >> UInt32(bits)))
            }
        }
        if bits > 0, accumulator & ((1 << UInt32(bits)) - 1) != 0 {
            throw DecodingError("\(what): non-canonical text (unused bits of the last character are not zero)")
        }
        return out
    }
}

/// Lower-case hexadecimal, for vectors, logs of public values and fingerprints.
public enum Hex {
    /// Encode lower case.
    public static func encode(_ bytes: some Collection<UInt8>) -> String {
        let digits = Array("0123456789abcdef".utf8)
        var out = [UInt8]()
        out.reserveCapacity(bytes.count * 2)
        for byte in bytes {
            out.append(digits[Int(byte >> 4)])
            out.append(digits[Int(byte & 15)])
        }
        return String(decoding: out, as: UTF8.self)
    }

    /// Decode either case; odd lengths and non-hex characters are rejected.
    public static func decode(_ text: some StringProtocol) throws(DecodingError) -> [UInt8] {
        let chars = Array(text.utf8)
        guard chars.count % 2 == 0 else { throw DecodingError("hex text has an odd number of characters") }
        var out = [UInt8]()
        out.reserveCapacity(chars.count / 2)
        func nibble(_ c: UInt8) -> UInt8? {
            switch c {
            case UInt8(ascii: "0")...UInt8(ascii: "9"): return c - UInt8(ascii: "0")
            case UInt8(ascii: "a")...UInt8(ascii: "f"): return c - UInt8(ascii: "a") + 10
            case UInt8(ascii: "A")...UInt8(ascii: "F"): return c - UInt8(ascii: "A") + 10
            default: return nil
            }
        }
        var i = 0
        while i < chars.count {
            guard let hi = nibble(chars[i]), let lo = nibble(chars[i + 1]) else {
                throw DecodingError("hex text: character \(i + 1) is not a hex digit")
            }
            out.append(hi << 4 | lo)
            i += 2
        }
        return out
    }
}

/// CRC-32/ISO-HDLC (the zlib CRC), used only as a typo check in credential text (spec §6.2).
public enum CRC32 {
    static let table: [UInt32] = (0..<256).map { n -> UInt32 in
        var c = UInt32(n)
        for _ in 0..<8 { c = (c & 1) != 0 ? 0xEDB8_8320 ^ (c >> 1) : c >> 1 }
        return c
    }

    /// The checksum of `bytes`.
    public static func checksum(_ bytes: UnsafeRawBufferPointer) -> UInt32 {
        var crc: UInt32 = 0xFFFF_FFFF
        for byte in bytes { crc = table[Int((crc ^ UInt32(byte)) & 0xFF)] ^ (crc >> 8) }
        return crc ^ 0xFFFF_FFFF
    }

    /// The checksum of `bytes`.
    public static func checksum(_ bytes: [UInt8]) -> UInt32 {
        bytes.withUnsafeBytes { checksum($0) }
    }
}
