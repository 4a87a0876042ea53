public import SeclabPrimitives

/// `--expand`: `${NAME}` in a value is replaced by the value of the secret NAME of the same
/// run (any of its vaults), recursively; `$${` is a literal `${`; any other `$` is itself.
///
/// Why on the client, after decryption and verification: the server never sees names or
/// values (zero knowledge), and a reference can only reach secrets this run already holds.
/// Why errors instead of leaving `${X}` as is: an unresolved reference would reach the app as
/// a literal and fail somewhere far away (a missing name or a cycle is an
/// error naming it; nothing runs).
public enum Expansion {
    /// One part of a value.
    public enum Segment: Sendable, Equatable {
        /// Bytes of the value copied as they are.
        case literal(Range<Int>)
        /// `${NAME}`.
        case reference(String)
    }

    /// An expansion error.
    public struct Failure: Error, Sendable, Equatable {
        /// What is wrong, naming the secrets involved.
        public let message: String
        /// True when a referenced name is not in the run (exit 123), else a syntax error or a cycle (125).
        public let missingName: Bool
    }

    /// Split one value into literal runs and references. `owner` names the secret in errors.
    public static func segments(_ value: UnsafeRawBufferPointer, owner: String) throws(Failure) -> [Segment] {
        var segments = [Segment]()
        var start = 0, index = 0
        let dollar = UInt8(ascii: "$"), open = UInt8(ascii: "{"), close = UInt8(ascii: "}")
        while index < value.count {
            guard value[index] == dollar else { index += 1; continue }
            // `$${` → literal `${`: keep the second `$` and the `{`.
            if index + 2 < value.count, value[index + 1] == dollar, value[index + 2] == open {
                if index > start { segments.append(.literal(start..<index)) }
                start = index + 1
                index += 3
                continue
            }
            guard index + 1 < value.count, value[index + 1] == open else { index += 1; continue }
            var end = index + 2
            while end < value.count, value[end] != close, value[end] != UInt8(ascii: "\n") { end += 1 }
            guard end < value.count, value[end] == close else {
                throw Failure(message: "secret '\(Display.escaped(owner))' has an unclosed ${ (write $${ for a literal ${)", missingName: false)
            }
            let nameBytes = UnsafeRawBufferPointer(rebasing: value[(index + 2)..<end])
            guard nameBytes.count > 0, let name = String(validating: nameBytes, as: UTF8.self) else {
                throw Failure(message: "secret '\(Display.escaped(owner))' has an empty or non-UTF-8 name in ${…}", missingName: false)
            }
            if index > start { segments.append(.literal(start..<index)) }
            segments.append(.reference(name))
            index = end + 1
            start = index
        }
        if value.count > start { segments.append(.literal(start..<value.count)) }
        return segments
    }

    /// The largest value an expansion may produce: what the server accepts for a stored value
    /// (SeclabAPI `WireLimits.maxValueBytes`).
    public static let maxValueBytes = 1 << 20
    /// The most bytes all expanded values of a run may add up to.
    public static let maxTotalBytes = 64 << 20

    /// Expand every value of `items` (name → value, names unique) against the others.
    /// Returns the expanded values in the same order.
    ///
    /// Why bounded: whoever can write any vault of the run writes these values, and nested
    /// references grow geometrically (`A=${B}${B}…`, `B=${C}${C}…`): without a bound, ten
    /// levels ask for terabytes (or overflow the size and trap) before the command starts.
    public static func expand(_ items: [(name: String, value: SecretBytes)]) throws(Failure) -> [SecretBytes] {
        var position = [String: Int](minimumCapacity: items.count)
        for (index, item) in items.enumerated() { position[item.name] = index }
        var parsed = [[Segment]]()
        parsed.reserveCapacity(items.count)
        for item in items {
            var failure: Failure? = nil
            let found = item.value.withUnsafeBytes { raw -> [Segment] in
                do throws(Failure) { return try segments(raw, owner: item.name) } catch { failure = error; return [] }
            }
            if let failure { throw failure }
            parsed.append(found)
        }
        var done = [SecretBytes?](repeating: nil, count: items.count)
        var produced = 0
        var visiting = [Int]()
        var onPath = Set<Int>()

        func resolve(_ index: Int) throws(Failure) -> SecretBytes {
            if let value = done[index] { return value }
            // Nothing to rewrite: the value is delivered byte for byte (same buffer).
            if parsed[index].count <= 1, case .literal(let range)? = parsed[index].first, range.count == items[index].value.count {
                done[index] = items[index].value
                return items[index].value
            }
            if parsed[index].isEmpty { done[index] = items[index].value; return items[index].value }
            visiting.append(index)
            onPath.insert(index)
            var parts = [SecretBytes?](repeating: nil, count: parsed[index].count)
            for (number, segment) in parsed[index].enumerated() {
                guard case let .reference(name) = segment else { continue }
                guard let target = position[name] else {
                    throw Failure(message: "secret '\(Display.escaped(items[index].name))' references ${\(Display.escaped(name))}, which is not in this run", missingName: true)
                }
                if onPath.contains(target) {
                    // Told from its smallest name, so the message does not depend on the server's order.
                    var cycle = visiting[visiting.firstIndex(of: target)!...].map { Display.escaped(items[$0].name) }
                    let start = cycle.indices.min { cycle[$0] < cycle[$1] }!
                    cycle = Array(cycle[start...] + cycle[..<start])
                    throw Failure(message: "secrets reference each other in a cycle: \((cycle + [cycle[0]]).joined(separator: " → "))", missingName: false)
                }
                parts[number] = try resolve(target)
            }
            visiting.removeLast()
            onPath.remove(index)
            let source = items[index].value
            var total = 0
            for (number, segment) in parsed[index].enumerated() {
                if case let .literal(range) = segment { total += range.count } else { total += parts[number]!.count }
                guard total <= maxValueBytes else {
                    throw Failure(message: "secret '\(Display.escaped(items[index].name))' expands to more than \(maxValueBytes >> 20) MiB", missingName: false)
                }
            }
            produced += total
            guard produced <= maxTotalBytes else {
                throw Failure(message: "the expanded values add up to more than \(maxTotalBytes >> 20) MiB", missingName: false)
            }
            let value = source.withUnsafeBytes { raw in
                SecretBytes(count: total) { out in
                    var at = 0
                    for (number, segment) in parsed[index].enumerated() {
                        switch segment {
                        case let .literal(range):
                            out.baseAddress!.advanced(by: at).copyMemory(from: raw.baseAddress!.advanced(by: range.lowerBound), byteCount: range.count)
                            at += range.count
                        case .reference:
                            parts[number]!.withUnsafeBytes { part in
                                if part.count > 0 { out.baseAddress!.advanced(by: at).copyMemory(from: part.baseAddress!, byteCount: part.count) }
                                at += part.count
                            }
                        }
                    }
                }
            }
            done[index] = value
            return value
        }
        var out = [SecretBytes]()
        out.reserveCapacity(items.count)
        for index in items.indices { out.append(try resolve(index)) }
        return out
    }
}

extension Expansion {
    /// `--expand` over the run's merged items (stored names), as a seclab-run failure.
    static func apply(_ items: [RunItem]) throws(RunFailure) -> [RunItem] {
        do {
            let values = try expand(items.map { ($0.storedName, $0.value) })
            var out = items
            for index in out.indices { out[index].value = values[index] }
            return out
        } catch {
            throw error.missingName ? RunFailure(RunExitCode.refused, "--expand: \(error.message); nothing was run")
                                    : .usage("--expand: \(error.message); nothing was run")
        }
    }
}
