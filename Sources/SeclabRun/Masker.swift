/// Replaces secret values in a byte stream with `***`, even when a value is split across
/// reads, and masks multi-line values line by line (vault-action's PEM leak).
///
/// Only the shortest necessary tail is held back between reads: the part that could still
/// become a secret, so ordinary output flows through at once.
public struct Masker: Sendable {
    /// The replacement text.
    public static let replacement: [UInt8] = Array("***".utf8)

    private let patterns: [[UInt8]]
    private let byFirstByte: [UInt8: [Int]]
    private let longest: Int
    private var pending: [UInt8] = []

    /// Patterns from `values`: every value and every line of a multi-line value with at least
    /// `minimumLength` bytes. Shorter ones are left alone so `true` or `1` do not blank out logs.
    public init(values: [[UInt8]], minimumLength: Int) {
        var set = Set<[UInt8]>()
        for value in values {
            for line in Self.lines(of: value) where line.count >= minimumLength { set.insert(line) }
        }
        // Longest first, so a value that contains another is masked whole.
        patterns = set.sorted { $0.count != $1.count ? $0.count > $1.count : $0.lexicographicallyPrecedes($1) }
        var index = [UInt8: [Int]]()
        for (i, pattern) in patterns.enumerated() { index[pattern[0], default: []].append(i) }
        byFirstByte = index
        longest = patterns.first?.count ?? 0
    }

    /// The lines of `value` (split on `\n`, a trailing `\r` removed), or the value itself.
    public static func lines(of value: [UInt8]) -> [[UInt8]] {
        value.split(separator: UInt8(ascii: "\n"), omittingEmptySubsequences: true).map { line in
            line.last == UInt8(ascii: "\r") ? Array(line.dropLast()) : Array(line)
        }
    }

    /// Whether anything will ever be masked.
    public var isEmpty: Bool { patterns.isEmpty }

    /// Feed output bytes; returns what can be written now.
    public mutating func feed(_ bytes: [UInt8]) -> [UInt8] {
        if patterns.isEmpty { return bytes }
        return scan(pending + bytes, endOfStream: false)
    }

    /// Flush at end of stream: the held tail can no longer grow into a longer secret, but it
    /// may still hold whole shorter ones, so it is masked like any other output.
    public mutating func finish() -> [UInt8] {
        if pending.isEmpty { return [] }
        return scan(pending, endOfStream: true)
    }

    /// Mask `buffer` left to right, longest secret first; before the end of the stream, hold
    /// back the tail from the first position where a longer secret may still follow.
    private mutating func scan(_ buffer: [UInt8], endOfStream: Bool) -> [UInt8] {
        var out = [UInt8]()
        out.reserveCapacity(buffer.count)
        var i = 0
        scan: while i < buffer.count {
            if let candidates = byFirstByte[buffer[i]] {
                let remaining = buffer.count - i
                var couldContinue = false
                for index in candidates {
                    let pattern = patterns[index]
                    if pattern.count <= remaining {
                        if buffer[i..<(i + pattern.count)].elementsEqual(pattern) {
                            // Why wait: a longer secret that starts here may still arrive;
                            // masking the shorter one now would let the longer one's tail
                            // through (found by Fuzz/, target masker).
                            if couldContinue { break }
                            out += Self.replacement
                            i += pattern.count
                            continue scan
                        }
                    } else if !endOfStream, buffer[i...].elementsEqual(pattern[0..<remaining]) {
                        couldContinue = true
                    }
                }
                if couldContinue {
                    // The rest may be the start of a secret split across reads: hold it.
                    pending = Array(buffer[i...])
                    return out
                }
            }
            out.append(buffer[i])
            i += 1
        }
        pending = []
        return out
    }
}
