/// JSON string literals written exactly as Foundation's `JSONEncoder` writes them, so the
/// hand-written pull writer (`PullWire`) and the general encoder produce the same bytes.
enum JSONText {
    /// A JSON string literal: quotes, backslashes and control characters escaped as
    /// Foundation's encoder does (`/` as `\/`), everything else as UTF-8.
    static func writeString(_ text: String, to out: inout [UInt8]) {
        out.append(UInt8(ascii: "\""))
        if text.utf8.allSatisfy({ !needsEscape($0) }) {
            // Fast path: every field of a pull is base64url, a UUID or a time.
            out += text.utf8
        } else {
            for byte in text.utf8 {
                switch byte {
                case UInt8(ascii: "\""): out += #"\""#.utf8
                case UInt8(ascii: "\\"): out += #"\\"#.utf8
                case UInt8(ascii: "/"): out += #"\/"#.utf8
                case 0x08: out += #"\b"#.utf8
                case 0x0C: out += #"\f"#.utf8
                case 0x0A: out += #"\n"#.utf8
                case 0x0D: out += #"\r"#.utf8
                case 0x09: out += #"\t"#.utf8
                case ..<0x20:
                    out += #"\u00"#.utf8
                    out.append(hexDigit(byte >> 4))
                    out.append(hexDigit(byte & 0x0F))
                default: out.append(byte)
                }
            }
        }
        out.append(UInt8(ascii: "\""))
    }

    private static func needsEscape(_ byte: UInt8) -> Bool {
        byte < 0x20 || byte == UInt8(ascii: "\"") || byte == UInt8(ascii: "\\") || byte == UInt8(ascii: "/")
    }

    private static func hexDigit(_ nibble: UInt8) -> UInt8 { nibble < 10 ? UInt8(ascii: "0") + nibble : UInt8(ascii: "a") + nibble - 10 }
}
