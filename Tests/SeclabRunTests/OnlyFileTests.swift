@testable import SeclabRun
import Testing

/// `--only-file`: the names file a pipeline commits beside its workflow.
@Suite struct OnlyFileTests {
    @Test func parsesOneNamePerLineWithCommentsAndBlankLines() throws {
        let text = "# deploy needs\nDATABASE_URL\n  API_TOKEN\t\r\n\n   # indented comment\nTLS_KEY"
        #expect(try RunOptions.names(inOnlyFile: Array(text.utf8), path: "f") == ["DATABASE_URL", "API_TOKEN", "TLS_KEY"])
    }

    @Test func refusesEmptyFilesControlCharactersAndNonUTF8() {
        for bytes in [Array("# only comments\n\n".utf8), [], Array("A\u{1B}[2J\n".utf8), [0x41, 0xFF, 0x0A]] {
            #expect(throws: RunFailure.self) { try RunOptions.names(inOnlyFile: bytes, path: "f") }
        }
    }

    @Test func optionIsParsedOnceAndCombinesWithOnly() throws {
        let options = try RunOptions.parse(["--only", "A", "--only-file", "names.txt", "--", "true"], environment: ["SECLAB_SERVER": "http://127.0.0.1:1"])
        #expect(options.onlyFile == "names.txt" && options.only == ["A"])
        #expect(throws: RunFailure.self) {
            try RunOptions.parse(["--only-file", "a", "--only-file=b", "--", "true"], environment: ["SECLAB_SERVER": "http://127.0.0.1:1"])
        }
    }
}
