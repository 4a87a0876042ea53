import SeclabKeys

/// Everything between verified items and the child's plan, in one place, so a run and every
/// `--watch` restart deliver the same way: `${…}` expansion, templates, renames and prefix,
/// then the environment and files (ExecPlan).
extension SeclabRunMain {
    /// The plan for `items`, and the names an `--override` replaced (for `--dry-run`).
    static func plan(for items: [RunItem], templates: [(source: String, variable: String, template: Template)], options: RunOptions,
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

    /// The plan for one vault's items under `--watch` (templates read again: a restart renders
    /// the files it starts with from the new values).
    static func plan(for items: [OpenedItem], options: RunOptions, inherited: [[UInt8]]) throws(RunFailure) -> ExecPlan {
        let runItems = items.map { RunItem(name: $0.name.string, storedName: $0.name.string, value: $0.value, source: "") }
        return try plan(for: runItems, templates: try TemplateFiles.load(options.templates), options: options, inherited: inherited).plan
    }
}
