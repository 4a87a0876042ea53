/// Names as seclab-run prints them: quoted, with every character that could act on a terminal
/// or a CI log escaped.
///
/// Why: a name comes from whoever can write the vault. Printed raw, an
/// ESC sequence rewrites the terminal, a `\n` starts a fake `seclab-run:` line or a GitHub
/// workflow command (`::add-mask::`, `::warning::` are only recognised at the start of a line),
/// and a bidirectional override makes a name read as another.
enum Display {
    /// `'NAME'` with control characters (C0, DEL, C1), line and paragraph separators and
    /// bidirectional formatting characters written as `\xNN` / `\u{NNNN}`, and `\` as `\\`.
    static func name(_ name: String) -> String { "'" + escaped(name) + "'" }

    /// The runner's old command syntax `##[command]` is recognised anywhere in a line
    /// (actions/runner src/Runner.Common/ActionCommand.cs, TryParse): its `[` is escaped.
    static let oldWorkflowCommand = "##["

    /// The name with the same escapes and no quotes (for tab-separated listings).
    static func escaped(_ name: String) -> String {
        var out = ""
        for scalar in name.unicodeScalars {
            if scalar == "\\" {
                out += "\\\\"
            } else if needsEscape(scalar) {
                out += scalar.value < 0x80 ? "\\x" + hex(scalar.value, width: 2) : "\\u{" + hex(scalar.value, width: 4) + "}"
            } else {
                out.unicodeScalars.append(scalar)
            }
        }
        return out.contains(oldWorkflowCommand) ? out.replacing(oldWorkflowCommand, with: "##\\x5B") : out
    }

    /// A whole message line with the same characters escaped (backslashes and quotes kept):
    /// the last guard for every `seclab-run: error:` line, whatever text it carries.
    static func line(_ text: String) -> String {
        guard text.unicodeScalars.contains(where: needsEscape) || text.contains(oldWorkflowCommand) else { return text }
        var out = ""
        for scalar in text.unicodeScalars {
            if needsEscape(scalar) {
                out += scalar.value < 0x80 ? "\\x" + hex(scalar.value, width: 2) : "\\u{" + hex(scalar.value, width: 4) + "}"
            } else {
                out.unicodeScalars.append(scalar)
            }
        }
        return out.contains(oldWorkflowCommand) ? out.replacing(oldWorkflowCommand, with: "##\\x5B") : out
    }

    /// Whether a scalar must not reach a terminal or a log as is.
    static func needsEscape(_ scalar: Unicode.Scalar) -> Bool {
        switch scalar.value {
        case 0x00...0x1F, 0x7F...0x9F: return true             // C0, DEL, C1 (CSI is 0x9B)
        case 0x2028, 0x2029: return true                        // line and paragraph separators
        case 0x061C, 0x200E, 0x200F, 0x202A...0x202E, 0x2066...0x2069: return true  // bidi controls
        default: return false
        }
    }

    static func hex(_ value: UInt32, width: Int) -> String {
        let digits = String(value, radix: 16, uppercase: true)
        return String(repeating: "0", count: max(0, width - digits.count)) + digits
    }
}
