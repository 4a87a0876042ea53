import ArgumentParser
import Foundation
import SeclabAPI
import SeclabOwner
import SeclabFormat
import SeclabKeys
import SeclabPassphrase
import SeclabPrimitives

extension Secret {
    /// `seclab secret import VAULT --dotenv FILE`.
    struct Import: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Import every NAME=VALUE of a dotenv file (quotes, `export `, multi-line values).",
            discussion: "The whole file is parsed and checked before anything is sent. Example: seclab secret import prod --dotenv .env"
        )

        @OptionGroup var global: GlobalOptions
        @OptionGroup var unlock: UnlockOptions

        @Argument(help: "The vault's name or id.")
        var vault: String

        @Option(help: ArgumentHelp("The dotenv file.", valueName: "file"))
        var dotenv: String

        func validate() throws {
            try Validate.nonEmpty(vault, "a vault name")
            _ = try parsed()
        }

        private func parsed() throws -> [(ItemName, SecretBytes)] {
            guard let data = FileManager.default.contents(atPath: dotenv) else { throw ValidationError("cannot read \(dotenv)") }
            guard let text = String(data: data, encoding: .utf8) else { throw ValidationError("\(dotenv) is not UTF-8") }
            do {
                return try Dotenv.parse(text).map { pair in
                    (try Validate.newItemName(pair.name), SecretBytes(copying: Array(pair.value.utf8)))
                }
            } catch let error as Dotenv.ParseError {
                throw ValidationError("\(dotenv): \(error)")
            }
        }

        func run() throws {
            let pairs = try parsed()
            try Unlocker(global, unlock).withSession { session throws(CLIFailure) in
                let opened = try owner { () throws(OwnerError) in try session.checkedVault(named: vault) }
                for (name, value) in pairs {
                    _ = try owner { () throws(OwnerError) in try session.setItem(in: opened, name: name, value: value) }
                }
                Terminal.note("imported \(pairs.count) secret\(pairs.count == 1 ? "" : "s") into vault '\(Terminal.shown(opened.name))'")
            }
        }
    }
}
