import ArgumentParser
import Foundation
import SeclabAPI
import SeclabClient
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
        write("seclab: \(label("error:", colour: "1;31")) \(message)\n")
        if let hint { write("seclab: \(label("hint:", colour: "1;33")) \(hint)\n") }
    }

    /// `seclab: warning: …`.
    static func warning(_ message: String) { write("seclab: \(label("warning:", colour: "1;33")) \(message)\n") }

    /// A note to the person (stderr).
    static func note(_ message: String) { write("seclab: \(message)\n") }

    /// A progress line for slow steps (Argon2id, rekey), on a terminal only.
    static func progress(_ message: String) {
        if stderrIsTTY { write("seclab: \(message)…\n") }
    }

    /// Raw bytes to stdout.
    static func output(_ bytes: [UInt8]) { FileHandle.standardOutput.write(Data(bytes)) }
    /// A line to stdout.
    static func output(line: String) { output(Array((line + "\n").utf8)) }

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
