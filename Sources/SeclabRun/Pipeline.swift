import SeclabKeys

/// A `--template SRC=VAR` read and parsed at start.
typealias LoadedTemplate = (source: String, variable: String, template: Template)

/// Everything between verified items and the child's plan, in one place, so a run and every
/// `--watch` restart deliver the same way: `${…}` expansion, templates, renames and prefix,
/// then the environment and files (ExecPlan).
extension SeclabRunMain {
    /// The plan for `items`, and the names an `--override` replaced (for `--dry-run`).
    static func plan(for items: [RunItem], templates: [LoadedTemplate], options: RunOptions,
                     inherited: [[UInt8]]) throws(RunFailure) -> (plan: ExecPlan, overrides: [String: [String]]) {
        var items = items
        if options.expand { items = try Expansion.apply(items) }
        let rendered = try TemplateFiles.render(templates, items: items)
        var overrides = [String: [String]]()
        for item in items where !item.overrides.isEmpty { overrides[item.storedName] = item.overrides }
        items = try Renames.apply(items, renames: options.renames, prefix: options.prefix)
        var plan = try ExecPlan.build(command: options.command, inherited: inherited, items: items, options: options)
        try TemplateFiles.add(rendered, to: &plan, options: options)
        return (plan, overrides)
    }
}
