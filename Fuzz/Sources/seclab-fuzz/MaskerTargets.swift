import SeclabRun

/// `seclab-run --mask` (SeclabRun.Masker): secret values are replaced in the command's output
/// whatever the read boundaries. The output of any chunking must equal a plain left-to-right,
/// longest-first replacement over the whole stream (the reference below): otherwise a read
/// boundary decides whether part of a secret reaches the log.
///
/// Values and output are drawn from a four-letter alphabet (`a`, `b`, `\n`, `\r`) so
/// secrets overlap, nest and split across lines often.
enum MaskerTargets {
    static let target = FuzzTarget(name: "masker", summary: "Masker over any chunking vs. a whole-stream reference", run: run)
    static let alphabet: [UInt8] = [UInt8(ascii: "a"), UInt8(ascii: "b"), 0x0A, 0x0D]

    static func run(_ data: [UInt8]) {
        var input = FuzzInput(data)
        let minimumLength = 1 + input.number(upTo: 5)
        let values = (0...input.number(upTo: 3)).map { _ in input.chunk(maxCount: 12).map { alphabet[Int($0) % 4] } }
        var chunks = [[UInt8]]()
        while !input.isEmpty { chunks.append(input.chunk(maxCount: 16).map { alphabet[Int($0) % 4] }) }
        let stream = chunks.flatMap { $0 }

        var masker = Masker(values: values, minimumLength: minimumLength)
        var output = [UInt8]()
        for chunk in chunks { output += masker.feed(chunk) }
        output += masker.finish()

        let patterns = Set(values.flatMap { Masker.lines(of: $0) }.filter { $0.count >= minimumLength })
        let expected = reference(stream, patterns: Array(patterns))
        check(output == expected, "Masker: the output depends on where reads end (\(chunks.count) chunks, \(patterns.count) patterns)")
    }

    /// At each position the longest pattern that matches there is replaced; else one byte is kept.
    static func reference(_ stream: [UInt8], patterns: [[UInt8]]) -> [UInt8] {
        let ordered = patterns.sorted { $0.count > $1.count }
        var out = [UInt8](), i = 0
        scan: while i < stream.count {
            for pattern in ordered where stream[i...].starts(with: pattern) {
                out += Masker.replacement
                i += pattern.count
                continue scan
            }
            out.append(stream[i])
            i += 1
        }
        return out
    }
}
