import ArgumentParser
import Foundation
import SeclabAPI
import SeclabOwner
import SeclabFormat
import SeclabKeys
import SeclabPassphrase
import SeclabPrimitives
#if canImport(Glibc)
import Glibc
#endif

/// Everything `seclab` says to a person goes to stderr in one voice; stdout carries only the
/// command's output (a value, a credential, a listing), so it can be piped.
enum Terminal {
    /// True when stderr is a terminal: colour and progress only then.
    static var stderrIsTTY: Bool { isatty(2) == 1 }
    /// True when stdin is a terminal.
    static var stdinIsTTY: Bool { isatty(0) == 1 }

    static func write(_ text: String) {
        FileHandle.standardError.write(Data(text.utf8))
    }

    static func label(_ word: String, colour: String) -> String {
        stderrIsTTY ? "\u{1B}[\(colour)m\(word)\u{1B}[0m" : word
    }

    /// `seclab: error: …` and, if given, `seclab: hint: …`.
    static func error(_ message: String, hint: String?) {
        write("seclab: \(label("error:", colour: "1;31")) \(safe(message))\n")
        if let hint { write("seclab: \(label("hint:", colour: "1;33")) \(safe(hint))\n") }
    }

    /// `seclab: warning: …`.
    static func warning(_ message: String) { write("seclab: \(label("warning:", colour: "1;33")) \(safe(message))\n") }

    /// A note to the person (stderr).
    static func note(_ message: String) { write("seclab: \(safe(message))\n") }

    /// A progress line for slow steps (Argon2id, rekey), on a terminal only.
    static func progress(_ message: String) {
        if stderrIsTTY { write("seclab: \(safe(message))…\n") }
    }

    /// Raw bytes to stdout.
    static func output(_ bytes: [UInt8]) { FileHandle.standardOutput.write(Data(bytes)) }
    /// A display line to stdout (a listing row): control characters inside it are escaped
    /// (tabs kept: they separate the columns; fields escape their own with `shown`).
    static func output(line: String) { output(Array((safe(line, keepTabs: true) + "\n").utf8)) }

    // MARK: Text from elsewhere (items 4 and 12)
    //
    // Names, labels and server text can come from another account (a share) or a hostile
    // server. Printed raw, an ESC sequence rewrites the terminal, a line break fakes a
    // `seclab:` line or a CI workflow command (GitHub's `::cmd::` at a line start, `##[cmd]`
    // anywhere: actions/runner src/Runner.Common/ActionCommand.cs), a bidirectional control
    // makes one name read as another. Every message and listing line therefore goes through
    // `safe`, and single fields through `shown`.

    /// Whether a scalar must not reach a terminal or a log as is: C0 and C1 controls and DEL,
    /// line and paragraph separators, bidirectional formatting characters.
    static func needsEscape(_ scalar: Unicode.Scalar) -> Bool {
        switch scalar.value {
        case 0x00...0x1F, 0x7F...0x9F, 0x2028, 0x2029, 0x061C, 0x200E, 0x200F, 0x202A...0x202E, 0x2066...0x2069: return true
        default: return false
        }
    }

    /// `\xNN` below U+0080, else `\u{NNNN}`.
    static func escape(_ scalar: Unicode.Scalar) -> String {
        let digits = String(scalar.value, radix: 16, uppercase: true)
        return scalar.value < 0x80 ? "\\x" + String(repeating: "0", count: max(0, 2 - digits.count)) + digits
            : "\\u{" + String(repeating: "0", count: max(0, 4 - digits.count)) + digits + "}"
    }

    /// A whole line with every such character escaped (and `##[` as `##\x5B`).
    static func safe(_ text: String, keepTabs: Bool = false) -> String {
        guard text.unicodeScalars.contains(where: { needsEscape($0) && !(keepTabs && $0 == "\t") }) || text.contains("##[") else { return text }
        var out = ""
        for scalar in text.unicodeScalars {
            if needsEscape(scalar) && !(keepTabs && scalar == "\t") { out += escape(scalar) } else { out.unicodeScalars.append(scalar) }
        }
        return out.replacingOccurrences(of: "##[", with: "##\\x5B")
    }

    /// One field (a secret or vault name, a label) for display: `safe` plus tabs and `\`
    /// escaped, so it can neither break a column nor pass for an escape.
    static func shown(_ field: String) -> String {
        var out = ""
        for scalar in field.unicodeScalars {
            if scalar == "\\" { out += "\\\\" } else if needsEscape(scalar) { out += escape(scalar) } else { out.unicodeScalars.append(scalar) }
        }
        return out.replacingOccurrences(of: "##[", with: "##\\x5B")
    }

    /// Ask on /dev/tty without echo. Nil when there is no terminal.
    static func readHidden(prompt: String) -> String? {
        let fd = open("/dev/tty", O_RDWR | O_NOCTTY)
        guard fd >= 0 else { return nil }
        defer { close(fd) }
        var old = termios()
        guard tcgetattr(fd, &old) == 0 else { return nil }
        var quiet = old
        quiet.c_lflag &= ~tcflag_t(ECHO)
        let tty = FileHandle(fileDescriptor: fd, closeOnDealloc: false)
        tty.write(Data(prompt.utf8))
        tcsetattr(fd, TCSAFLUSH, &quiet)
        defer {
            tcsetattr(fd, TCSAFLUSH, &old)
            tty.write(Data("\n".utf8))
        }
        var bytes = [UInt8]()
        var byte: UInt8 = 0
        while read(fd, &byte, 1) == 1, byte != UInt8(ascii: "\n") { bytes.append(byte) }
        defer { for i in bytes.indices { bytes[i] = 0 } }
        return String(decoding: bytes, as: UTF8.self)
    }

    /// Ask a yes/no question on /dev/tty. Nil when there is no terminal.
    static func confirm(_ question: String) -> Bool? {
        guard let handle = FileHandle(forUpdatingAtPath: "/dev/tty") else { return nil }
        handle.write(Data("\(question) [y/N] ".utf8))
        var bytes = [UInt8]()
        while let chunk = try? handle.read(upToCount: 1), let byte = chunk.first, byte != UInt8(ascii: "\n") { bytes.append(byte) }
        let answer = String(decoding: bytes, as: UTF8.self).trimmingCharacters(in: .whitespaces).lowercased()
        return answer == "y" || answer == "yes"
    }
}

/// Standard input, read once: either whole (a secret value) or as lines (Secret Key,
/// passphrases with `--secret-key-stdin` / `--passphrase-stdin`).
final class StandardInput {
    private var lines: [String]?

    /// Every byte of stdin, exactly (values may be binary, multi-line or empty).
    static func readAll() -> [UInt8] {
        Array(FileHandle.standardInput.readDataToEndOfFile())
    }

    /// The next line of stdin, without its line end. Nil when stdin has no more lines.
    func nextLine() -> String? {
        if lines == nil {
            let text = String(decoding: Self.readAll(), as: UTF8.self)
            var split = text.components(separatedBy: "\n").map { $0.hasSuffix("\r") ? String($0.dropLast()) : $0 }
            if split.last == "" { split.removeLast() }
            lines = split
        }
        guard var remaining = lines, !remaining.isEmpty else { return nil }
        let line = remaining.removeFirst()
        lines = remaining
        return line
    }
}
