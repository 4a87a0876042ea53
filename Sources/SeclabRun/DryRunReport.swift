import SeclabPrimitives

/// `--dry-run` output: for each secret its delivered name, destination, size and source,
/// never a value. Text for people, `--json` for scripts.
enum DryRunReport {
    /// One line per injection, tab-separated: name, destination, size, where it came from.
    static func text(_ plan: ExecPlan, command: [String], overrides: [String: [String]]) -> String {
        var lines = [String]()
        for injection in plan.injections {
            let destination: String
            switch injection.destination {
            case .environment: destination = "env"
            case let .file(variable): destination = "file (path in $\(Display.escaped(variable)))"
            }
            let name = injection.template.map { "template " + Display.escaped($0) } ?? Display.escaped(injection.name)
            var line = "\(name)\t\(destination)\t\(injection.value.count) bytes"
            if let from = origin(injection, overrides: overrides[injection.storedName] ?? []) { line += "\t" + from }
            lines.append(line)
        }
        lines.append("\(plan.injections.count) secret(s) would be injected; command: \(command.joined(separator: " "))")
        return lines.joined(separator: "\n") + "\n"
    }

    /// `from SOURCE (as STORED, overrides A, B)`, or nil when there is nothing to say.
    static func origin(_ injection: Injection, overrides: [String]) -> String? {
        guard injection.template == nil, !injection.source.isEmpty else { return nil }
        var notes = [String]()
        if injection.storedName != injection.name { notes.append("stored as \(Display.escaped(injection.storedName))") }
        if !overrides.isEmpty { notes.append("overrides " + overrides.map(Display.escaped).joined(separator: ", ")) }
        return "from \(Display.escaped(injection.source))" + (notes.isEmpty ? "" : " (\(notes.joined(separator: ", ")))")
    }

    /// `{"command":[…],"secrets":[{"name","stored_name","source","overrides","destination","variable","bytes"}…],"count":N}`.
    static func json(_ plan: ExecPlan, command: [String], overrides: [String: [String]]) -> String {
        var entries = [String]()
        for injection in plan.injections {
            var fields = [String]()
            if let template = injection.template {
                fields.append("\"template\":" + JSONEscape.quoted(template))
            } else {
                fields.append("\"name\":" + JSONEscape.quoted(injection.name))
                fields.append("\"stored_name\":" + JSONEscape.quoted(injection.storedName))
                fields.append("\"source\":" + JSONEscape.quoted(injection.source))
                let replaced = overrides[injection.storedName] ?? []
                if !replaced.isEmpty { fields.append("\"overrides\":[" + replaced.map(JSONEscape.quoted).joined(separator: ",") + "]") }
            }
            switch injection.destination {
            case .environment: fields.append("\"destination\":\"env\"")
            case let .file(variable): fields.append("\"destination\":\"file\",\"variable\":" + JSONEscape.quoted(variable))
            }
            fields.append("\"bytes\":\(injection.value.count)")
            entries.append("{" + fields.joined(separator: ",") + "}")
        }
        return "{\"command\":[" + command.map(JSONEscape.quoted).joined(separator: ",") + "],\"secrets\":[" + entries.joined(separator: ",")
            + "],\"count\":\(plan.injections.count)}\n"
    }
}
