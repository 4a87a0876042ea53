import SeclabPrimitives
import SeclabRun

/// seclab-run's `--template` parser and renderer (SeclabRun.Template) and `--expand`'s
/// reference parser and resolver (SeclabRun.Expansion). The first byte picks which;
/// the rest is the template, or values split on NUL (named V0, V1, …).
///
/// Properties: a parsed template's literal pieces are in order, inside the text and never
/// overlap; rendering every name as its own text always succeeds, and without filters equals
/// the pieces written out. Expansion never traps (cycles and deep chains included), and a
/// value without `$` is delivered unchanged.
enum TemplateTargets {
    static let target = FuzzTarget(name: "template", summary: "Template.parse/render + Expansion (seclab-run --template, --expand)", run: run)

    static func run(_ data: [UInt8]) {
        guard let mode = data.first else { return }
        let rest = Array(data.dropFirst())
        if mode & 1 == 0 { template(rest) } else { expansion(rest) }
    }

    static func template(_ bytes: [UInt8]) {
        guard let parsed = try? Template.parse(bytes) else { return }
        var end = 0
        var expected = [UInt8]()
        var filtered = false
        for piece in parsed.pieces {
            switch piece {
            case let .literal(range):
                check(range.lowerBound >= end && range.upperBound <= bytes.count && !range.isEmpty, "Template: literal pieces out of order or bounds")
                end = range.upperBound
                expected += bytes[range]
            case let .reference(name, filters, line, column):
                check(!name.isEmpty && line >= 1 && column >= 1, "Template: an empty name or a bad position")
                filtered = filtered || !filters.isEmpty
                expected += Array(name.utf8)
            }
        }
        guard let rendered = try? parsed.render({ SecretBytes(copying: Array($0.utf8)) }) else {
            check(false, "Template: rendering known names failed")
            return
        }
        if !filtered { check(rendered.unprotectedArray() == expected, "Template: the output is not the pieces written out") }
    }

    static func expansion(_ bytes: [UInt8]) {
        let values = bytes.split(separator: 0, maxSplits: 15, omittingEmptySubsequences: false).map(Array.init)
        let items = values.enumerated().map { (name: "V\($0.offset)", value: SecretBytes(copying: $0.element)) }
        guard let expanded = try? Expansion.expand(items) else { return }
        check(expanded.count == items.count, "Expansion: a value was lost")
        for (index, value) in values.enumerated() where !value.contains(UInt8(ascii: "$")) {
            check(expanded[index].unprotectedArray() == value, "Expansion: a value without $ changed")
        }
    }
}
