import ArgumentParser
import Foundation
import SeclabAPI
import SeclabOwner
import SeclabFormat
import SeclabKeys
import SeclabPassphrase
import SeclabPrimitives

extension Secret {
    /// `seclab secret export VAULT --format dotenv|json`.
    struct Export: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Print every secret of a vault as a dotenv file or a JSON object.",
            discussion: """
                Every secret is decrypted and verified before anything is printed: a tampered \
                item fails the whole export. Example: seclab secret export prod --format dotenv > .env
                """
        )

        enum Format: String, ExpressibleByArgument, CaseIterable { case dotenv, json }

        @OptionGroup var global: GlobalOptions
        @OptionGroup var unlock: UnlockOptions

        @Argument(help: "The vault's name or id.")
        var vault: String

        @Option(help: "Output format.")
        var format: Format = .dotenv

        func validate() throws { try Validate.nonEmpty(vault, "a vault name") }

        func run() throws {
            try Unlocker(global, unlock).withSession { session throws(CLIFailure) in
                let opened = try owner { () throws(OwnerError) in try session.checkedVault(named: vault) }
                let items = try owner { () throws(OwnerError) in try session.openAllItems(in: opened) }
                var pairs = [(name: String, value: String)]()
                for item in items {
                    guard let text = String(validating: item.value.unprotectedArray(), as: UTF8.self) else {
                        throw CLIFailure("secret \(Terminal.shown(item.name.string)) is not UTF-8 text and cannot be exported as \(format.rawValue)",
                                         hint: "read it with `seclab secret get \(opened.name) \(item.name.string)`", status: .failure)
                    }
                    pairs.append((item.name.string, text))
                }
                switch format {
                case .dotenv:
                    // Nothing is printed unless every name can be written safely.
                    let text: String
                    do throws(Dotenv.RenderError) { text = try Dotenv.render(pairs) } catch {
                        throw CLIFailure(error.description, hint: "export with --format json, or rename the secret (secret set NEW_NAME, then secret delete)",
                                         status: .failure)
                    }
                    Terminal.output(Array(text.utf8))
                case .json:
                    try JSONOutput.print(Dictionary(pairs, uniquingKeysWith: { $1 }))
                }
            }
        }
    }
}
