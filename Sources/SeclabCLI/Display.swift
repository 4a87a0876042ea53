/// Text that came from someone else (a vault or account name, an e-mail the server reports)
/// made safe for a terminal or a CI log.
enum Display {
    /// `text` with control characters (C0, DEL, C1) and bidirectional overrides escaped as
    /// `\u{…}`, so a name chosen by a sharer cannot move the cursor, recolour, hide text or
    /// forge a line of output.
    static func escaped(_ text: String) -> String {
        var out = ""
        for scalar in text.unicodeScalars {
            let value = scalar.value
            let isControl = value < 0x20 || (0x7F...0x9F).contains(value)
            let isBidi = (0x202A...0x202E).contains(value) || (0x2066...0x2069).contains(value) || value == 0x200E || value == 0x200F
            if isControl || isBidi {
                out += "\\u{" + String(value, radix: 16) + "}"
            } else {
                out.unicodeScalars.append(scalar)
            }
        }
        return out
    }
}
