import Foundation

/// The dotenv dialect of common `.env` files (python-dotenv, docker compose): `export `
/// prefixes, `#` comments, unquoted values (trimmed, ` #` starts a comment), single quotes
/// (literal, may span lines) and double quotes (escapes `\n \r \t \" \\ \$ \``, may span lines).
enum Dotenv {
    struct ParseError: Error, CustomStringConvertible {
        let line: Int
        let reason: String
        var description: String { "line \(line): \(reason)" }
    }

    /// Parse a file's bytes into ordered (name, value) pairs. A name given twice keeps the last value.
    static func parse(_ text: String) throws(ParseError) -> [(name: String, value: String)] {
        var result = [(name: String, value: String)]()
        // Why Unicode scalars, not Characters: "\r\n", and a quote or '=' followed by a
        // combining mark, are single Characters, so line ends and delimiters glued to a
        // neighbour went unseen ("A=1\r\r\nB=2" read B into A's value; found by Fuzz/).
        let chars = Array(text.replacingOccurrences(of: "\r\n", with: "\n").unicodeScalars)
        var i = 0
        var line = 1
        func skipSpaces() { while i < chars.count, chars[i] == " " || chars[i] == "\t" { i += 1 } }
        func skipToLineEnd() { while i < chars.count, chars[i] != "\n" { i += 1 } }
        while i < chars.count {
            skipSpaces()
            if i >= chars.count { break }
            if chars[i] == "\n" { i += 1; line += 1; continue }
            if chars[i] == "#" { skipToLineEnd(); continue }
            let startLine = line
            var name = ""
            while i < chars.count, chars[i] != "=", chars[i] != "\n" { name.unicodeScalars.append(chars[i]); i += 1 }
            name = name.trimmingSpaces
            if name.unicodeScalars.starts(with: "export ".unicodeScalars) || name.unicodeScalars.starts(with: "export\t".unicodeScalars) {
                name = String(name.unicodeScalars.dropFirst(7)).trimmingSpaces
            }
            guard i < chars.count, chars[i] == "=" else { throw ParseError(line: startLine, reason: "expected NAME=VALUE") }
            guard !name.isEmpty, !name.unicodeScalars.contains(" ") else { throw ParseError(line: startLine, reason: "invalid name '\(name)'") }
            i += 1
            skipSpaces()
            var value = ""
            if i < chars.count, chars[i] == "'" || chars[i] == "\"" {
                let quote = chars[i]
                i += 1
                var closed = false
                while i < chars.count {
                    let c = chars[i]
                    if c == quote { closed = true; i += 1; break }
                    if c == "\n" { line += 1 }
                    if quote == "\"", c == "\\", i + 1 < chars.count {
                        let next = chars[i + 1]
                        switch next {
                        case "n": value.append("\n")
                        case "r": value.append("\r")
                        case "t": value.append("\t")
                        case "\"", "\\", "$", "'", "`": value.unicodeScalars.append(next)
                        default: value.unicodeScalars.append(c); value.unicodeScalars.append(next)
                        }
                        if next == "\n" { line += 1 }
                        i += 2
                        continue
                    }
                    value.unicodeScalars.append(c)
                    i += 1
                }
                guard closed else { throw ParseError(line: startLine, reason: "unterminated \(quote == "'" ? "single" : "double") quote") }
                skipSpaces()
                guard i >= chars.count || chars[i] == "\n" || chars[i] == "#" else {
                    throw ParseError(line: line, reason: "unexpected text after the closing quote")
                }
                skipToLineEnd()
            } else {
                while i < chars.count, chars[i] != "\n" {
                    if chars[i] == "#", value.isEmpty || value.unicodeScalars.last == " " || value.unicodeScalars.last == "\t" { skipToLineEnd(); break }
                    value.unicodeScalars.append(chars[i])
                    i += 1
                }
                value = value.trimmingSpaces
            }
            result.removeAll { $0.name == name }
            result.append((name, value))
        }
        return result
    }

    /// A name `render` refuses, with the reason.
    struct RenderError: Error, CustomStringConvertible {
        let name: String
        var description: String {
            "the secret name \(Terminal.shown(name)) cannot be written to a dotenv file: a sourced file runs any name that is not [A-Za-z_][A-Za-z0-9_]*"
        }
    }

    /// Whether `name` is a shell variable name, `[A-Za-z_][A-Za-z0-9_]*`: the only names a
    /// dotenv file can carry safely (`set -a; . ./.env` runs `A;touch x;B="…"` as commands).
    static func isShellName(_ name: String) -> Bool {
        guard let first = name.utf8.first, !(UInt8(ascii: "0")...UInt8(ascii: "9")).contains(first) else { return false }
        return name.utf8.allSatisfy { c in
            (UInt8(ascii: "A")...UInt8(ascii: "Z")).contains(c) || (UInt8(ascii: "a")...UInt8(ascii: "z")).contains(c)
                || (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(c) || c == UInt8(ascii: "_")
        }
    }

    /// Render pairs as a dotenv file that `parse` (and common loaders) read back exactly and
    /// that a POSIX shell can source without running anything.
    ///
    /// Why: names are refused unless they are shell names (a name cannot
    /// be quoted in dotenv); values are double-quoted with `\\`, `\"`, `\$` and `` \` ``
    /// escaped, so neither parameter expansion nor command substitution can happen when the
    /// file is sourced, and line breaks written as `\n`/`\r`.
    static func render(_ pairs: [(name: String, value: String)]) throws(RenderError) -> String {
        var out = ""
        for (name, value) in pairs {
            guard isShellName(name) else { throw RenderError(name: name) }
            var escaped = ""
            for c in value.unicodeScalars {
                switch c {
                case "\\": escaped += "\\\\"
                case "\"": escaped += "\\\""
                case "\n": escaped += "\\n"
                case "\r": escaped += "\\r"
                case "$": escaped += "\\$"
                case "`": escaped += "\\`"
                default: escaped.unicodeScalars.append(c)
                }
            }
            out += "\(name)=\"\(escaped)\"\n"
        }
        return out
    }
}

extension String {
    /// Without leading and trailing spaces and tabs (scalars: a space before a combining
    /// mark is still a space, as for the parser).
    var trimmingSpaces: String {
        var s = Substring(self).unicodeScalars
        while let f = s.first, f == " " || f == "\t" { s = s.dropFirst() }
        while let l = s.last, l == " " || l == "\t" { s = s.dropLast() }
        return String(s)
    }
}
