public import ArgumentParser
import Foundation
import SeclabAPI
import SeclabOwner
import SeclabFormat
import SeclabKeys
import SeclabPassphrase
import SeclabPrimitives
import SeclabVersion

/// `seclab`: the vault owner's command line. All cryptography runs here, on the
/// device; the server only ever sees ciphertext.
public struct Seclab: ParsableCommand {
    /// Command tree and help.
    public static let configuration = CommandConfiguration(
        commandName: "seclab",
        abstract: "Zero-knowledge secrets for CI/CD: the owner's tool.",
        discussion: """
            Every secret is encrypted on this device before it reaches the server. Exit codes are \
            listed in docs/cli.md. Values are read from stdin or files, never from arguments.
            """,
        version: "seclab \(BuildInfo.line)",
        subcommands: [Account.self, Vault.self, Secret.self, Machine.self, Audit.self]
    )

    /// Required by ArgumentParser.
    public init() {}

    /// Parse, run and exit with a documented code; failures read `seclab: error: …` and
    /// `seclab: hint: …` on stderr.
    public static func runMain(arguments: [String]? = nil) -> Never {
        do {
            var command = try parseAsRoot(arguments)
            try command.run()
            Foundation.exit(ExitStatus.ok.rawValue)
        } catch let failure as CLIFailure {
            Terminal.error(failure.message, hint: failure.hint)
            Foundation.exit(failure.status.rawValue)
        } catch {
            let code = exitCode(for: error)
            // Help, version and completion scripts are clean exits: let the parser print them.
            if code == .success { exit(withError: error) }
            Terminal.error(message(for: error).replacingOccurrences(of: "Error: ", with: ""),
                           hint: "see `seclab help` or `seclab COMMAND --help`")
            Foundation.exit(code == .validationFailure ? ExitStatus.usage.rawValue : code.rawValue)
        }
    }
}
