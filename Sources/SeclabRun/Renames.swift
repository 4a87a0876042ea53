/// `--env NEW=NAME` and `--prefix P`: the environment names secrets are
/// delivered under. References (`--only`, `--file`, `--require`, `${…}`, `{{ … }}`) keep
/// using the stored names; only the delivery name changes, and that name still goes through
/// the environment policy in `ExecPlan.build` (a rename cannot smuggle in `LD_PRELOAD`).
enum Renames {
    /// Apply the renames and the prefix. A renamed secret is delivered only under its new
    /// name(s), exactly as written (no prefix: an explicit name is what the app expects); every
    /// other secret gets the prefix. Two secrets landing on one name is an error naming both.
    static func apply(_ items: [RunItem], renames: [Rename], prefix: String?) throws(RunFailure) -> [RunItem] {
        if renames.isEmpty && prefix == nil { return items }
        var newNames = [String: [String]]()
        for rename in renames { newNames[rename.name, default: []].append(rename.new) }
        let stored = Set(items.map(\.storedName))
        for rename in renames where !stored.contains(rename.name) {
            throw RunFailure(RunExitCode.refused, "secret \(Display.name(rename.name)) (asked for with --env \(rename.new)=\(rename.name)) is not in this run; nothing was run")
        }
        var out = [RunItem]()
        out.reserveCapacity(items.count + renames.count)
        var from = [String: String]()
        for item in items {
            let names = newNames[item.storedName] ?? [(prefix ?? "") + item.storedName]
            for name in names {
                if let earlier = from[name] {
                    throw .usage("two secrets would be delivered as \(Display.name(name)): \(Display.name(earlier)) and \(Display.name(item.storedName)); nothing was run",
                                 hint: "rename one with --env NEW=NAME or leave one out with --only")
                }
                from[name] = item.storedName
                var renamed = item
                renamed.name = name
                out.append(renamed)
            }
        }
        return out
    }
}
