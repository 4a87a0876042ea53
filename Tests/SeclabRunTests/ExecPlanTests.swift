import SeclabFormat
import SeclabKeys
import SeclabPrimitives
@testable import SeclabRun
import Testing

/// The exec plan is a pure value: every environment rule is tested without exec'ing anything.
@Suite struct ExecPlanTests {
    static let cipher = ItemCipher(vaultKey: .generate(), indexKey: .generate(), context: VaultContext(ownerAccountID: .random(), vaultID: .random()))

    static func item(_ name: String, _ value: String) throws -> OpenedItem {
        try cipher.open(cipher.seal(name: ItemName(name), value: SecretBytes(copying: Array(value.utf8))))
    }

    static func options(_ arguments: [String]) throws -> RunOptions {
        try RunOptions.parse(arguments + ["--", "true"], environment: ["SECLAB_SERVER": "http://127.0.0.1:1"])
    }

    static func env(_ entries: [String]) -> [[UInt8]] { entries.map { Array($0.utf8) } }

    static func value(_ plan: ExecPlan, _ name: String) -> String? { plan.value(of: name).map { String(decoding: $0, as: UTF8.self) } }

    @Test func secretsOverrideInheritedAndEachNameAppearsOnce() throws {
        let plan = try ExecPlan.build(command: ["true"], inherited: Self.env(["A=1", "TOKEN=old", "TOKEN=shadow", "B=2"]),
                                      items: [Self.item("TOKEN", "new"), Self.item("DB", "x")], options: Self.options([]))
        #expect(Self.value(plan, "TOKEN") == "new")
        #expect(plan.environment.filter { $0.name == Array("TOKEN".utf8) }.count == 1)
        #expect(plan.environment.map { String(decoding: $0.name, as: UTF8.self) } == ["A", "TOKEN", "B", "DB"])
    }

    @Test func keepExistingLetsInheritedWin() throws {
        let plan = try ExecPlan.build(command: ["true"], inherited: Self.env(["TOKEN=old"]), items: [Self.item("TOKEN", "new")],
                                      options: Self.options(["--keep-existing"]))
        #expect(Self.value(plan, "TOKEN") == "old")
    }

    @Test func credentialAndServerAreRemovedFromTheChild() throws {
        let plan = try ExecPlan.build(command: ["true"], inherited: Self.env(["SECLAB_MACHINE_KEY=slmk1_x", "SECLAB_SERVER=u", "SECLAB_MACHINE_KEY_FILE=/f", "KEEP=1"]),
                                      items: [], options: Self.options([]))
        #expect(plan.environment.map { String(decoding: $0.name, as: UTF8.self) } == ["KEEP"])
    }

    @Test func dangerousAndInvalidNamesAreRefusedUnlessAllowed() throws {
        for name in ["LD_PRELOAD", "BASH_ENV", "PATH", "DYLD_INSERT_LIBRARIES", "SECLAB_MACHINE_KEY", "my-var", "1ABC", "café"] {
            #expect(throws: RunFailure.self, "\(name) must be refused") {
                try ExecPlan.build(command: ["true"], inherited: [], items: [Self.item(name, "v")], options: Self.options([]))
            }
        }
        let allowed = try ExecPlan.build(command: ["true"], inherited: [], items: [Self.item("LD_PRELOAD", "v")],
                                         options: Self.options(["--allow-name", "LD_PRELOAD"]))
        #expect(Self.value(allowed, "LD_PRELOAD") == "v")
    }

    /// `[A-Za-z_][A-Za-z0-9_]*`, byte by byte: every ASCII byte after a letter and as the first one.
    @Test func portableNamesAreExactlyThePOSIXSet() {
        for byte in UInt8(1)...UInt8(127) {
            let c = Character(Unicode.Scalar(byte))
            let letter = c.isASCII && c.isLetter, digit = c.isASCII && c.isNumber, underscore = c == "_"
            #expect(EnvironmentPolicy.isPortable("A\(c)") == (letter || digit || underscore), "A + \(byte)")
            #expect(EnvironmentPolicy.isPortable("\(c)A") == (letter || underscore), "\(byte) + A")
        }
        #expect(!EnvironmentPolicy.isPortable("") && !EnvironmentPolicy.isPortable("AB\u{E9}"))
    }

    @Test func valuesWithNULAreRefusedForTheEnvironmentButFineAsFiles() throws {
        let nul = try Self.cipher.open(Self.cipher.seal(name: ItemName("BLOB"), value: SecretBytes(copying: [0x41, 0, 0x42])))
        #expect(throws: RunFailure.self) { try ExecPlan.build(command: ["true"], inherited: [], items: [nul], options: Self.options([])) }
        let plan = try ExecPlan.build(command: ["true"], inherited: [], items: [nul], options: Self.options(["--file", "BLOB=BLOB_PATH"]))
        #expect(plan.injections.first?.destination == .file(variable: "BLOB_PATH"))
        #expect(plan.value(of: "BLOB") == nil)
    }

    @Test func multiLineValuesAreByteExact() throws {
        let pem = "-----BEGIN KEY-----\nabc\r\ndef\n-----END KEY-----\n"
        let plan = try ExecPlan.build(command: ["true"], inherited: [], items: [Self.item("PEM", pem)], options: Self.options([]))
        #expect(Self.value(plan, "PEM") == pem)
    }

    @Test func requireAndFileNamesMustExist() throws {
        #expect(throws: RunFailure.self) {
            try ExecPlan.build(command: ["true"], inherited: [], items: [Self.item("A", "1")], options: Self.options(["--require", "A,B"]))
        }
        #expect(throws: RunFailure.self) {
            try ExecPlan.build(command: ["true"], inherited: [], items: [Self.item("A", "1")], options: Self.options(["--file", "B"]))
        }
    }

    @Test func dryRunShowsNamesDestinationsAndSizesNeverValues() throws {
        let plan = try ExecPlan.build(command: ["true"], inherited: [], items: [Self.item("TOKEN", "supersecretvalue"), Self.item("CERT", "pem-bytes")],
                                      options: Self.options(["--file", "CERT=CERT_PATH"]))
        let report = DryRunReport.text(plan, command: ["true"], overrides: [:])
        #expect(report.contains("TOKEN\tenv\t16 bytes") && report.contains("CERT\tfile (path in $CERT_PATH)\t9 bytes"))
        #expect(!report.contains("supersecret") && !report.contains("pem-bytes"))
    }

    @Test func optionParsingKeepsTheCommandUntouched() throws {
        let options = try RunOptions.parse(["--only", "A,B", "--mask", "--", "sh", "-c", "echo \"$A\" --mask", "--"],
                                           environment: ["SECLAB_SERVER": "https://s"])
        #expect(options.command == ["sh", "-c", "echo \"$A\" --mask", "--"])
        #expect(options.only == ["A", "B"] && options.mask)
        #expect(throws: RunFailure.self) { try RunOptions.parse(["--", "true"], environment: [:]) }  // no server
        #expect(throws: RunFailure.self) { try RunOptions.parse(["--bogus", "--", "true"], environment: ["SECLAB_SERVER": "x"]) }
        #expect(throws: RunFailure.self) { try RunOptions.parse(["--only", "A,,B", "--", "true"], environment: ["SECLAB_SERVER": "x"]) }
        #expect(throws: RunFailure.self) { try RunOptions.parse([], environment: ["SECLAB_SERVER": "x"]) }
    }

    @Test func exitCodesOfSupervisedChildren() {
        #expect(Supervisor.exitCode(3 << 8) == 3)
        #expect(Supervisor.exitCode(15) == 128 + 15)
        #expect(Supervisor.exitCode(9) == 137)
    }
}

/// The streaming masker.
@Suite struct MaskerTests {
    static func run(_ values: [String], _ chunks: [String], minimum: Int = 6) -> String {
        var masker = Masker(values: values.map { Array($0.utf8) }, minimumLength: minimum)
        var out = [UInt8]()
        for chunk in chunks { out += masker.feed(Array(chunk.utf8)) }
        out += masker.finish()
        return String(decoding: out, as: UTF8.self)
    }

    @Test func masksWholeAndSplitValues() {
        #expect(Self.run(["hunter2hunter2"], ["pw=hunter2hunter2\n"]) == "pw=***\n")
        #expect(Self.run(["hunter2hunter2"], ["pw=hun", "ter2hu", "nter2 ok"]) == "pw=*** ok")
        #expect(Self.run(["hunter2hunter2"], ["pw=hunter2hunte"]) == "pw=hunter2hunte")  // never completed: flushed as is
        #expect(Self.run(["abcdef", "abcdefgh"], ["xabcdefghx"]) == "x***x")               // longest wins
    }

    @Test func masksMultiLineValuesLineByLine() {
        let pem = "-----BEGIN KEY-----\nMIIBVwIBADANBgkq\nhkiG9w0BAQEFAASC\n-----END KEY-----"
        let out = Self.run([pem], ["log: MIIBVwIBADANBgkq\n", "then hkiG9w0BAQEFAASC end\n"])
        #expect(out == "log: ***\nthen *** end\n")
    }

    @Test func shortValuesAreNotMasked() {
        #expect(Self.run(["true", "1"], ["true 1 true"]) == "true 1 true")
        #expect(Self.run(["true"], ["true"], minimum: 4) == "***")
    }

    @Test func outputWithoutSecretsFlowsThroughImmediately() {
        var masker = Masker(values: [Array("s3cr3tvalue".utf8)], minimumLength: 6)
        #expect(masker.feed(Array("hello world\n".utf8)) == Array("hello world\n".utf8))
        #expect(masker.feed(Array("xs3c".utf8)) == Array("x".utf8))  // "s3c" might start a secret: held
        #expect(masker.feed(Array("ret\n".utf8)) == Array("s3cret\n".utf8))
    }
}
