import SeclabPrimitives

/// An account, vault or slot id: a random UUIDv4 made by the client (spec §0).
///
/// In derivations and AAD it is its 16 raw bytes (RFC 9562 byte order); on the wire and in
/// text it is the lowercase hyphenated form, and only that form is accepted (one text per id).
public struct SeclabID: Sendable, Hashable, Comparable, CustomStringConvertible {
    /// The 16 raw bytes.
    public let bytes: [UInt8]

    /// Wrap 16 raw bytes.
    public init(bytes: [UInt8]) throws(FormatError) {
        guard bytes.count == 16 else { throw FormatError("id must be 16 bytes, got \(bytes.count)") }
        self.bytes = bytes
    }

    /// A fresh random UUIDv4 from libsodium's CSPRNG.
    public static func random() -> SeclabID {
        var bytes = randomBytes(count: 16)
        bytes[6] = (bytes[6] & 0x0F) | 0x40   // version 4
        bytes[8] = (bytes[8] & 0x3F) | 0x80   // RFC 9562 variant
        return SeclabID(unchecked: bytes)
    }

    init(unchecked bytes: [UInt8]) { self.bytes = bytes }

    /// Parse the lowercase hyphenated text form (8-4-4-4-12); `what` names the field in errors.
    public init(text: some StringProtocol, what: String = "id") throws(FormatError) {
        let chars = Array(text.utf8)
        guard chars.count == 36 else {
            throw FormatError("\(what): expected a 36-character UUID like 4f6c…-…, got \(chars.count) characters")
        }
        var hex = [UInt8]()
        hex.reserveCapacity(32)
        for (index, char) in chars.enumerated() {
            if [8, 13, 18, 23].contains(index) {
                guard char == UInt8(ascii: "-") else { throw FormatError("\(what): expected '-' at position \(index + 1)") }
                continue
            }
            let isDigit = char >= UInt8(ascii: "0") && char <= UInt8(ascii: "9")
            let isLower = char >= UInt8(ascii: "a") && char <= UInt8(ascii: "f")
            guard isDigit || isLower else {
                throw FormatError("\(what): character \(index + 1) is not a lowercase hex digit")
            }
            hex.append(char)
        }
        do {
            bytes = try Hex.decode(String(decoding: hex, as: UTF8.self))
        } catch {
            throw FormatError(error)
        }
    }

    /// The lowercase hyphenated text form.
    public var text: String {
        let hex = Array(Hex.encode(bytes).utf8)
        var out = [UInt8]()
        for (index, char) in hex.enumerated() {
            if [8, 12, 16, 20].contains(index) { out.append(UInt8(ascii: "-")) }
            out.append(char)
        }
        return String(decoding: out, as: UTF8.self)
    }

    /// The text form.
    public var description: String { text }

    /// Byte-wise order, for stable listings.
    public static func < (lhs: SeclabID, rhs: SeclabID) -> Bool { lhs.bytes.lexicographicallyPrecedes(rhs.bytes) }
}
