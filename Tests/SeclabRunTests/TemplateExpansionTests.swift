import SeclabPrimitives
@testable import SeclabRun
import Testing

/// The parsers of `--template` and `--expand`, without a server.
@Suite struct TemplateExpansionTests {
    static func secret(_ text: String) -> SecretBytes { SecretBytes(copying: Array(text.utf8)) }
    static func text(_ value: SecretBytes) -> String { String(decoding: value.unprotectedArray(), as: UTF8.self) }

    static func render(_ template: String, _ values: [String: String]) throws -> String {
        text(try Template.parse(Array(template.utf8)).render { values[$0].map(secret) })
    }

    @Test func rendersNamesFiltersAndLiterals() throws {
        let values = ["A": "x\"y\\z\n\u{1}é", "B": "hello", "EMPTY": ""]
        #expect(try Self.render("a={{A}} b={{ B }}!", values) == "a=x\"y\\z\n\u{1}é b=hello!")
        #expect(try Self.render("{{ A | json }}", values) == "\"x\\\"y\\\\z\\n\\u0001é\"")
        #expect(try Self.render("{{B|base64}}|{{ EMPTY | base64 }}|{{EMPTY|json}}", values) == "aGVsbG8=||\"\"")
        #expect(try Self.render("{{ B | base64 | json }}", values) == "\"aGVsbG8=\"")
        #expect(try Self.render("keep {{{{ B }} and } } {x} }}", values) == "keep {{ B }} and } } {x} }}")
        #expect(try Self.render("no tags\n", values) == "no tags\n")
        #expect(try Self.render("", values) == "")
        #expect(try Template.parse(Array("{{A}}{{B}}{{A}}".utf8)).names == ["A", "B"])
    }

    @Test func base64MatchesRFC4648Vectors() {
        for (input, output) in [("", ""), ("f", "Zg=="), ("fo", "Zm8="), ("foo", "Zm9v"), ("foob", "Zm9vYg=="), ("fooba", "Zm9vYmE="), ("foobar", "Zm9vYmFy")] {
            #expect(Self.text(Template.base64(Self.secret(input))) == output)
        }
        #expect(Self.text(Template.base64(SecretBytes(copying: [0xFF, 0xFE, 0x00]))) == "//4A")
    }

    @Test func jsonRefusesInvalidUTF8() throws {
        #expect(Template.json(SecretBytes(copying: [0x61, 0xFF])) == nil)
        #expect(Template.json(SecretBytes(copying: [0xED, 0xA0, 0x80])) == nil)  // a surrogate
        #expect(Template.json(SecretBytes(copying: [0xC0, 0x80])) == nil)  // overlong NUL
        #expect(Template.json(SecretBytes(copying: Array("💡".utf8))).map(Self.text) == "\"💡\"")
        let error = #expect(throws: Template.Failure.self) {
            try Template.parse(Array("x\n  {{ BIN | json }}".utf8)).render { _ in SecretBytes(copying: [0xFF]) }
        }
        #expect(error?.line == 2 && error?.column == 3 && error?.missingName == false)
    }

    @Test func errorsCarryLineAndColumn() {
        func failure(_ template: String) -> Template.Failure? {
            #expect(throws: Template.Failure.self) { try Template.parse(Array(template.utf8)) }
        }
        let unclosed = failure("line one\nü {{ NAME\n}}")
        #expect(unclosed?.line == 2 && unclosed?.column == 3 && unclosed?.message.contains("unclosed") == true)
        let atEnd = failure("{{ NAME }")
        #expect(atEnd?.line == 1 && atEnd?.column == 1)
        let filter = failure("a\nb\n  x: {{ NAME | yaml }}")
        #expect(filter?.line == 3 && filter?.column == 16 && filter?.message.contains("unknown filter 'yaml'") == true)
        let empty = failure("{{   }}")
        #expect(empty?.message.contains("empty name") == true)
        let emptyFilter = failure("{{ A | }}")
        #expect(emptyFilter?.message.contains("empty filter") == true)
        let spaced = failure("{{ A B }}")
        #expect(spaced?.message.contains("not a name") == true)
        let missing = #expect(throws: Template.Failure.self) {
            try Template.parse(Array("ok\n\tport: {{ PORT }}".utf8)).render { _ in nil }
        }
        #expect(missing?.line == 2 && missing?.column == 8 && missing?.missingName == true && missing?.message.contains("'PORT'") == true)
    }

    static func expand(_ pairs: [(String, String)]) throws(Expansion.Failure) -> [String] {
        try Expansion.expand(pairs.map { ($0.0, secret($0.1)) }).map(text)
    }

    @Test func expandsReferencesRecursively() throws {
        let out = try Self.expand([("URL", "postgres://${USER}:${PASS}@db/${NAME}"), ("USER", "app"), ("PASS", "p${X}"),
                                   ("X", "$1$$x"), ("NAME", "${USER}db"), ("LIT", "a $${B} $HOME $ $"), ("EMPTY", "")])
        #expect(out == ["postgres://app:p$1$$x@db/appdb", "app", "p$1$$x", "$1$$x", "appdb", "a ${B} $HOME $ $", ""])
    }

    @Test func expansionErrorsNameTheSecrets() {
        let cycle = #expect(throws: Expansion.Failure.self) { try Self.expand([("B", "x${C}"), ("C", "${A}"), ("A", "${B}")]) }
        #expect(cycle?.message.contains("A → B → C → A") == true && cycle?.missingName == false)
        let selfCycle = #expect(throws: Expansion.Failure.self) { try Self.expand([("A", "${A}")]) }
        #expect(selfCycle?.message.contains("A → A") == true)
        let missing = #expect(throws: Expansion.Failure.self) { try Self.expand([("A", "${NOPE}")]) }
        #expect(missing?.missingName == true && missing?.message.contains("NOPE") == true && missing?.message.contains("'A'") == true)
        let unclosed = #expect(throws: Expansion.Failure.self) { try Self.expand([("A", "x ${B")]) }
        #expect(unclosed?.message.contains("unclosed") == true)
        let empty = #expect(throws: Expansion.Failure.self) { try Self.expand([("A", "${}")]) }
        #expect(empty?.message.contains("empty") == true)
    }

    @Test func optionsParseTheNewFlags() throws {
        let options = try RunOptions.parse(["--credential-env", "K1", "--credential-file=/k2", "--credential-env", "K3", "--override",
                                            "--env", "DB=PG_URL", "--env=X=Y=Z", "--prefix", "APP_", "--expand",
                                            "--template", "/a=b/c.tmpl=CFG", "--dry-run", "--json"],
                                           environment: ["SECLAB_SERVER": "http://127.0.0.1:1"])
        #expect(options.credentials.map(\.label) == ["--credential-env K1", "--credential-file /k2", "--credential-env K3"])
        #expect(options.credentialVariables == ["K1", "K3"])
        #expect(options.override && options.expand && options.json && options.prefix == "APP_")
        #expect(options.renames.map { "\($0.new)>\($0.name)" } == ["DB>PG_URL", "X>Y=Z"])
        #expect(options.templates.map { "\($0.source)>\($0.variable)" } == ["/a=b/c.tmpl>CFG"])
        for bad in [["--json", "--", "true"], ["--env", "NOEQUALS", "--", "true"], ["--env", "=X", "--", "true"],
                    ["--env", "A=B", "--env", "A=C", "--", "true"], ["--prefix", "", "--", "true"], ["--template", "file", "--", "true"],
                    ["--template", "f=", "--", "true"], ["--credential-env", "BAD-NAME", "--", "true"], ["--prefix", "A", "--prefix", "B", "--", "true"]] {
            #expect(throws: RunFailure.self, "\(bad)") { try RunOptions.parse(bad, environment: ["SECLAB_SERVER": "http://127.0.0.1:1"]) }
        }
    }

    static func item(_ name: String, _ value: String, from source: String = "s") -> RunItem {
        RunItem(name: name, storedName: name, value: secret(value), source: source)
    }

    @Test func renamesAndPrefixes() throws {
        let items = [Self.item("PG_URL", "u"), Self.item("TOKEN", "t")]
        let renamed = try Renames.apply(items, renames: [Rename(new: "DATABASE_URL", name: "PG_URL"), Rename(new: "ALSO", name: "PG_URL")], prefix: "APP_")
        #expect(renamed.map(\.name) == ["DATABASE_URL", "ALSO", "APP_TOKEN"])
        #expect(renamed.map(\.storedName) == ["PG_URL", "PG_URL", "TOKEN"])
        let missing = #expect(throws: RunFailure.self) { try Renames.apply(items, renames: [Rename(new: "X", name: "NOPE")], prefix: nil) }
        #expect(missing?.code == RunExitCode.refused)
        let clash = #expect(throws: RunFailure.self) { try Renames.apply(items, renames: [Rename(new: "TOKEN", name: "PG_URL")], prefix: nil) }
        #expect(clash?.code == RunExitCode.failure && clash?.message.contains("'TOKEN'") == true)
    }

    @Test func everyOptionOfTheHelpIsInEveryCompletion() throws {
        let path = String(#filePath)
        let root = String(path[..<path.firstRange(of: "/Tests/")!.lowerBound])
        var options = Set<String>()
        for word in SeclabRunMain.helpText.split(whereSeparator: { $0 == " " || $0 == "\n" || $0 == "," || $0 == "=" }) where word.hasPrefix("--") && word.count > 2 {
            options.insert("--" + String(word.dropFirst(2).prefix { $0.isLowercase || $0 == "-" }))
        }
        #expect(options.contains("--credential-env") && options.contains("--template") && options.contains("--json"))
        for file in ["seclab-run.bash", "seclab-run.zsh", "seclab-run.fish"] {
            let text = try String(decoding: Array(readAll(root + "/packaging/completions/" + file)), as: UTF8.self)
            for option in options {
                let bare = String(option.dropFirst(2))
                #expect(text.contains(option) || text.contains("-l " + bare + " "), "\(file) lacks \(option)")
            }
        }
    }

    func readAll(_ path: String) throws -> [UInt8] {
        guard let bytes = SeclabRunMain.readFile(path, limit: 1 << 20) else { throw RunFailure(1, "cannot read \(path)") }
        return bytes
    }

    /// Values a vault writer stores cannot make the run allocate without bound: nested
    /// references grow geometrically, and a template may repeat a large value; both stop
    /// with a one-line error (exit 125) before anything is allocated past the limit.
    @Test func expansionAndRenderingAreBounded() throws {
        // 16 references per level, 8 levels: 16^8 ≈ 4·10^9 bytes of "x" if unbounded.
        var items = [(name: String, value: SecretBytes)]()
        for level in 0..<8 { items.append(("L\(level)", Self.secret(String(repeating: "${L\(level + 1)}", count: 16)))) }
        items.append(("L8", Self.secret("x")))
        #expect(throws: Expansion.Failure.self) { _ = try Expansion.expand(items) }
        do throws(Expansion.Failure) { _ = try Expansion.expand(items) } catch {
            #expect(!error.missingName && error.message.contains("more than 1 MiB"), "\(error.message)")
        }
        // Many small values that each stay under the per-value limit still stop at the run's total.
        let big = String(repeating: "y", count: 900_000)
        var many: [(name: String, value: SecretBytes)] = (0..<80).map { (name: "V\($0)", value: Self.secret("${BIG}")) }
        many.append(("BIG", Self.secret(big)))
        do throws(Expansion.Failure) { _ = try Expansion.expand(many); Issue.record("no total bound") } catch {
            #expect(error.message.contains("add up to more than"), "\(error.message)")
        }
        // A template naming a 1 MiB value 20 times: past 16 MiB, refused at the tag that crosses it.
        let template = try Template.parse(Array(String(repeating: "{{ BIG }}\n", count: 20).utf8))
        let value = Self.secret(String(repeating: "z", count: 1 << 20))
        do throws(Template.Failure) { _ = try template.render { $0 == "BIG" ? value : nil }; Issue.record("no render bound") } catch {
            #expect(!error.missingName && error.line == 16 && error.message.contains("16 MiB"), "\(error)")
        }
    }
}
