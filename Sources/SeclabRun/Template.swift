public import SeclabPrimitives
#if canImport(Glibc)
import Glibc
#endif

/// A parsed `--template` file: literal text with `{{ NAME }}`, `{{ NAME | base64 }}` and
/// `{{ NAME | json }}` tags (filters chain left to right), and `{{{{` for a literal `{{`.
///
/// Why parsed before the pull: a typo in a template is found without a round trip, and the
/// template text never leaves this machine ("templates never reach the
/// server"). Why rendered into `SecretBytes`: the result holds secret values, so it is built
/// in place in a zeroing buffer, never in a plain array or string.
public struct Template: Sendable {
    /// A filter applied to a value before it is written into the template.
    public enum Filter: String, Sendable, CaseIterable {
        /// Standard base64 with padding (RFC 4648 §4).
        case base64
        /// A JSON string literal, quotes included (also a YAML double-quoted scalar).
        case json
    }

    /// One part of the template.
    public enum Piece: Sendable, Equatable {
        /// Template bytes copied as they are.
        case literal(Range<Int>)
        /// A secret's value, filtered; `line`/`column` locate the tag's `{{` (1-based).
        case reference(name: String, filters: [Filter], line: Int, column: Int)
    }

    /// A template error: where (1-based line and column; columns count characters) and what.
    public struct Failure: Error, Sendable, Equatable {
        /// The line of the error.
        public let line: Int
        /// The column of the error.
        public let column: Int
        /// What is wrong.
        public let message: String
        /// True when a name is not in the run (exit 123), false for a syntax error (exit 125).
        public let missingName: Bool
    }

    /// The template's own bytes (not secret: the file is read from the pipeline's checkout).
    public let bytes: [UInt8]
    /// Its pieces, in order.
    public let pieces: [Piece]

    /// Every name the template references, in order of first use.
    public var names: [String] {
        var seen = Set<String>()
        return pieces.compactMap { piece in
            guard case let .reference(name, _, _, _) = piece, seen.insert(name).inserted else { return nil }
            return name
        }
    }

    /// Parse a template. A tag must close (`}}`) on the line it opens; its name must not be
    /// empty; each filter must be one of `Filter`.
    public static func parse(_ bytes: [UInt8]) throws(Failure) -> Template {
        var pieces = [Piece]()
        var line = 1, lineStart = 0
        var literalStart = 0
        var index = 0
        func column(_ at: Int) -> Int {
            // Characters, not bytes: UTF-8 continuation bytes do not start a column.
            1 + bytes[lineStart..<at].reduce(0) { $0 + ($1 & 0xC0 == 0x80 ? 0 : 1) }
        }
        func flush(_ end: Int) {
            if end > literalStart { pieces.append(.literal(literalStart..<end)) }
        }
        let open = UInt8(ascii: "{"), close = UInt8(ascii: "}"), newline = UInt8(ascii: "\n")
        while index < bytes.count {
            let byte = bytes[index]
            if byte == newline {
                line += 1
                lineStart = index + 1
                index += 1
                continue
            }
            guard byte == open, index + 1 < bytes.count, bytes[index + 1] == open else {
                index += 1
                continue
            }
            // `{{{{` is a literal `{{`.
            if index + 3 < bytes.count, bytes[index + 2] == open, bytes[index + 3] == open {
                flush(index)
                pieces.append(.literal(index..<(index + 2)))
                index += 4
                literalStart = index
                continue
            }
            let tagLine = line, tagColumn = column(index)
            var end = index + 2
            while end + 1 < bytes.count, bytes[end] != newline, !(bytes[end] == close && bytes[end + 1] == close) { end += 1 }
            guard end + 1 < bytes.count, bytes[end] == close, bytes[end + 1] == close else {
                throw Failure(line: tagLine, column: tagColumn, message: "unclosed {{ (a tag must end with }} on the same line)", missingName: false)
            }
            let inside = Array(bytes[(index + 2)..<end])
            let parts = inside.split(separator: UInt8(ascii: "|"), omittingEmptySubsequences: false)
            var offset = index + 2
            var name = ""
            var filters = [Filter]()
            for (number, part) in parts.enumerated() {
                let trimmed = trim(part)
                let partColumn = column(offset + (trimmed.startIndex - part.startIndex))
                offset += part.count + 1
                guard !trimmed.isEmpty else {
                    throw Failure(line: tagLine, column: partColumn, message: number == 0 ? "empty name in {{ }}" : "empty filter after |", missingName: false)
                }
                guard let text = String(validating: trimmed, as: UTF8.self),
                      !trimmed.contains(where: { $0 == UInt8(ascii: " ") || $0 == UInt8(ascii: "\t") || $0 == open || $0 == close }) else {
                    throw Failure(line: tagLine, column: partColumn, message: "'\(Display.escaped(String(decoding: trimmed, as: UTF8.self)))' is not a name or a filter", missingName: false)
                }
                if number == 0 {
                    name = text
                } else if let filter = Filter(rawValue: text) {
                    filters.append(filter)
                } else {
                    throw Failure(line: tagLine, column: partColumn,
                                  message: "unknown filter '\(Display.escaped(text))' (known: base64, json)", missingName: false)
                }
            }
            flush(index)
            pieces.append(.reference(name: name, filters: filters, line: tagLine, column: tagColumn))
            index = end + 2
            literalStart = index
        }
        flush(bytes.count)
        return Template(bytes: bytes, pieces: pieces)
    }

    /// The largest file a template may render to.
    public static let maxRenderedBytes = 16 << 20

    /// Render with the values `lookup` gives; a name it does not know is an error at its tag.
    ///
    /// Why bounded: the values are whatever the vaults' writers stored (up to 1 MiB each), and
    /// a template may name one many times; the size is checked tag by tag, before the copies.
    public func render(_ lookup: (String) -> SecretBytes?) throws(Failure) -> SecretBytes {
        var values = [SecretBytes]()
        var total = 0
        for piece in pieces {
            if case let .literal(range) = piece { total += range.count }
            guard case let .reference(name, filters, line, column) = piece else { continue }
            guard var value = lookup(name) else {
                throw Failure(line: line, column: column, message: "secret '\(Display.escaped(name))' is not in this run", missingName: true)
            }
            for filter in filters {
                switch filter {
                case .base64: value = Self.base64(value)
                case .json:
                    guard let quoted = Self.json(value) else {
                        throw Failure(line: line, column: column, message: "secret '\(Display.escaped(name))' is not UTF-8 text, so it cannot be a JSON string (use | base64)", missingName: false)
                    }
                    value = quoted
                }
            }
            total += value.count
            guard total <= Self.maxRenderedBytes else {
                throw Failure(line: line, column: column, message: "the rendered file grows past \(Self.maxRenderedBytes >> 20) MiB here", missingName: false)
            }
            values.append(value)
        }
        guard total <= Self.maxRenderedBytes else {
            throw Failure(line: 1, column: 1, message: "the rendered file is larger than \(Self.maxRenderedBytes >> 20) MiB", missingName: false)
        }
        return SecretBytes(count: total) { out in
            var at = 0, next = 0
            for piece in pieces {
                switch piece {
                case let .literal(range):
                    bytes[range].withUnsafeBytes { out.baseAddress!.advanced(by: at).copyMemory(from: $0.baseAddress!, byteCount: range.count) }
                    at += range.count
                case .reference:
                    values[next].withUnsafeBytes { source in
                        if source.count > 0 { out.baseAddress!.advanced(by: at).copyMemory(from: source.baseAddress!, byteCount: source.count) }
                        at += source.count
                    }
                    next += 1
                }
            }
        }
    }

    /// A template error as a seclab-run failure: `SRC:LINE:COLUMN: message`.
    static func failure(_ error: Failure, source: String) -> RunFailure {
        let message = "template \(Display.name(source)), line \(error.line), column \(error.column): \(error.message); nothing was run"
        return error.missingName ? RunFailure(RunExitCode.refused, message) : .usage(message)
    }

    static func trim(_ part: ArraySlice<UInt8>) -> ArraySlice<UInt8> {
        var part = part
        while let first = part.first, first == UInt8(ascii: " ") || first == UInt8(ascii: "\t") { part = part.dropFirst() }
        while let last = part.last, last == UInt8(ascii: " ") || last == UInt8(ascii: "\t") || last == UInt8(ascii: "\r") { part = part.dropLast() }
        return part
    }

    static let base64Alphabet = Array("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/".utf8)

    /// Standard padded base64 of a secret, built in place.
    static func base64(_ value: SecretBytes) -> SecretBytes {
        value.withUnsafeBytes { input in
            SecretBytes(count: (input.count + 2) / 3 * 4) { out in
                var at = 0, index = 0
                while index < input.count {
                    let b0 = UInt32(input[index])
                    let b1 = index + 1 < input.count ? UInt32(input[index + 1]) : 0
                    let b2 = index + 2 < input.count ? UInt32(input[index + 2]) : 0
                    let triple = b0 << 16 | b1 << 8 | b2
                    out[at] = base64Alphabet[Int(triple >> 18 & 63)]
                    out[at + 1] = base64Alphabet[Int(triple >> 12 & 63)]
                    out[at + 2] = index + 1 < input.count ? base64Alphabet[Int(triple >> 6 & 63)] : UInt8(ascii: "=")
                    out[at + 3] = index + 2 < input.count ? base64Alphabet[Int(triple & 63)] : UInt8(ascii: "=")
                    at += 4
                    index += 3
                }
            }
        }
    }

    /// A secret as a quoted JSON string, built in place; nil when it is not valid UTF-8.
    static func json(_ value: SecretBytes) -> SecretBytes? {
        value.withUnsafeBytes { input -> SecretBytes? in
            guard JSONEscape.isValidUTF8(input) else { return nil }
            var count = 2
            JSONEscape.escape(input) { _ in count += 1 }
            return SecretBytes(count: count) { out in
                var at = 0
                out[at] = UInt8(ascii: "\""); at += 1
                JSONEscape.escape(input) { byte in out[at] = byte; at += 1 }
                out[at] = UInt8(ascii: "\"")
            }
        }
    }
}

/// JSON string escaping (RFC 8259 §7) over raw bytes, one byte at a time into a sink, so a
/// secret is never copied into a temporary buffer. Also used for the names of `--dry-run --json`.
enum JSONEscape {
    /// Emit the escaped form of `bytes` (without quotes).
    static func escape(_ bytes: UnsafeRawBufferPointer, _ emit: (UInt8) -> Void) {
        let hex = Array("0123456789abcdef".utf8)
        for byte in bytes {
            switch byte {
            case UInt8(ascii: "\""), UInt8(ascii: "\\"): emit(UInt8(ascii: "\\")); emit(byte)
            case 0x0A: emit(UInt8(ascii: "\\")); emit(UInt8(ascii: "n"))
            case 0x0D: emit(UInt8(ascii: "\\")); emit(UInt8(ascii: "r"))
            case 0x09: emit(UInt8(ascii: "\\")); emit(UInt8(ascii: "t"))
            case 0x00..<0x20, 0x7F:
                for c in "\\u00".utf8 { emit(c) }
                emit(hex[Int(byte >> 4)]); emit(hex[Int(byte & 15)])
            default: emit(byte)
            }
        }
    }

    /// A JSON string literal for a (non-secret) text.
    static func quoted(_ text: String) -> String {
        var out = [UInt8(ascii: "\"")]
        Array(text.utf8).withUnsafeBytes { escape($0) { out.append($0) } }
        out.append(UInt8(ascii: "\""))
        return String(decoding: out, as: UTF8.self)
    }

    /// Whether `bytes` is well-formed UTF-8 (no overlongs, no surrogates, ≤ U+10FFFF).
    static func isValidUTF8(_ bytes: UnsafeRawBufferPointer) -> Bool {
        var index = 0
        while index < bytes.count {
            let lead = bytes[index]
            if lead < 0x80 { index += 1; continue }
            let length: Int
            var low: UInt8 = 0x80, high: UInt8 = 0xBF
            switch lead {
            case 0xC2...0xDF: length = 2
            case 0xE0: length = 3; low = 0xA0
            case 0xE1...0xEC, 0xEE...0xEF: length = 3
            case 0xED: length = 3; high = 0x9F
            case 0xF0: length = 4; low = 0x90
            case 0xF1...0xF3: length = 4
            case 0xF4: length = 4; high = 0x8F
            default: return false
            }
            guard index + length <= bytes.count else { return false }
            for offset in 1..<length {
                let byte = bytes[index + offset]
                let (min, max) = offset == 1 ? (low, high) : (UInt8(0x80), UInt8(0xBF))
                guard byte >= min && byte <= max else { return false }
            }
            index += length
        }
        return true
    }
}

/// The `--template SRC=VAR` files of a run: read and parsed before the pull, rendered after it.
enum TemplateFiles {
    /// Read and parse every template (at most 1 MiB each). Nothing is sent anywhere.
    static func load(_ specs: [TemplateRequest]) throws(RunFailure) -> [LoadedTemplate] {
        var out = [LoadedTemplate]()
        var variables = Set<String>()
        for spec in specs {
            guard variables.insert(spec.variable).inserted else { throw .usage("--template: the variable \(Display.name(spec.variable)) is given twice") }
            guard let bytes = SeclabRunMain.readFile(spec.source, limit: 1 << 20) else {
                throw .usage("cannot read the template \(Display.name(spec.source)): \(errno == EFBIG ? "larger than 1 MiB" : String(cString: strerror(errno)))")
            }
            do { out.append((spec.source, spec.variable, try Template.parse(bytes))) } catch { throw Template.failure(error, source: spec.source) }
        }
        return out
    }

    /// Render each template with the run's values (by stored name) into an injection whose
    /// destination is an in-memory file (or a file under `--files-dir`) named by its variable.
    static func render(_ templates: [LoadedTemplate], items: [RunItem]) throws(RunFailure) -> [Injection] {
        guard !templates.isEmpty else { return [] }
        var byName = [String: SecretBytes]()
        for item in items { byName[item.storedName] = item.value }
        var out = [Injection]()
        for entry in templates {
            let value: SecretBytes
            do { value = try entry.template.render { byName[$0] } } catch { throw Template.failure(error, source: entry.source) }
            let base = entry.source.split(separator: "/").last.map(String.init) ?? entry.source
            out.append(Injection(name: "template-" + base, destination: .file(variable: entry.variable), value: value,
                                 storedName: "", source: "", template: entry.source))
        }
        return out
    }

    /// Add rendered templates to the plan; each variable goes through the name policy and may
    /// not also be a secret's or a `--file`'s variable (it would silently replace it).
    static func add(_ rendered: [Injection], to plan: inout ExecPlan, options: RunOptions) throws(RunFailure) {
        guard !rendered.isEmpty else { return }
        var taken = Set<String>()
        for injection in plan.injections {
            switch injection.destination {
            case .environment: taken.insert(injection.name)
            case let .file(variable): taken.insert(variable)
            }
        }
        for injection in rendered {
            guard case let .file(variable) = injection.destination else { continue }
            try EnvironmentPolicy.check(variable, allowed: options.allowedNames, role: "template variable")
            guard !taken.contains(variable) else {
                throw .usage("--template \(Display.name(injection.template ?? "")): the variable \(Display.name(variable)) is also set by a secret or --file")
            }
            plan.injections.append(injection)
        }
    }
}
