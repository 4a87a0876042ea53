@testable import SeclabCLI
import Testing

/// The dotenv dialect of `secret import` / `secret export`, in process.
struct DotenvTests {
    @Test("common dotenv syntax parses as documented")
    func parse() throws {
        let text = """
            # comment
            export A=plain value   # comment
            B="quoted \\"inner\\" \\n newline"
            C='single $HOME \\n'
            D="multi
            line"
            E=
            F=x#not-a-comment
            A=second
            """
        let pairs = try Dotenv.parse(text)
        let map = Dictionary(pairs.map { ($0.name, $0.value) }, uniquingKeysWith: { $1 })
        #expect(pairs.map(\.name) == ["B", "C", "D", "E", "F", "A"])
        #expect(map["A"] == "second")
        #expect(map["B"] == "quoted \"inner\" \n newline")
        #expect(map["C"] == "single $HOME \\n")
        #expect(map["D"] == "multi\nline")
        #expect(map["E"] == "")
        #expect(map["F"] == "x#not-a-comment")
    }

    @Test("render then parse gives the same values back")
    func roundTrip() throws {
        let values = ["KEY": "-----BEGIN-----\nabc\n-----END-----\n", "Q": "say \"hi\" \\ $x", "EMPTY": "", "CR": "a\rb"]
        let pairs = values.sorted { $0.key < $1.key }.map { (name: $0.key, value: $0.value) }
        let parsed = try Dotenv.parse(Dotenv.render(pairs))
        #expect(parsed.map(\.name) == pairs.map(\.name))
        #expect(parsed.map(\.value) == pairs.map(\.value))
    }

    @Test("broken lines are reported")
    func errors() {
        #expect(throws: Dotenv.ParseError.self) { try Dotenv.parse("A=\"open") }
        #expect(throws: Dotenv.ParseError.self) { try Dotenv.parse("no equals sign") }
    }
}
