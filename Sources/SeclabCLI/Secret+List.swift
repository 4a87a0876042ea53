import ArgumentParser
import Foundation
import SeclabAPI
import SeclabOwner
import SeclabFormat
import SeclabKeys
import SeclabPassphrase
import SeclabPrimitives

extension Secret {
    /// `seclab secret list VAULT`.
    struct List: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "List secret names and update times (never values).",
            discussion: "Example: seclab secret list prod --json"
        )

        @OptionGroup var global: GlobalOptions
        @OptionGroup var unlock: UnlockOptions
        @OptionGroup var output: OutputOptions

        @Argument(help: "The vault's name or id.")
        var vault: String

        func validate() throws { try Validate.nonEmpty(vault, "a vault name") }

        struct Row: Encodable {
            let name: String, updatedAt: String
            enum CodingKeys: String, CodingKey { case name, updatedAt = "updated_at" }
        }

        func run() throws {
            try Unlocker(global, unlock).withSession { session throws(CLIFailure) in
                let opened = try owner { () throws(OwnerError) in try session.checkedVault(named: vault) }
                let items = try owner { () throws(OwnerError) in try session.listItems(in: opened) }
                if output.json {
                    try JSONOutput.print(items.map { Row(name: $0.name.string, updatedAt: $0.updatedAt) })
                } else {
                    for item in items { Terminal.output(line: "\(Terminal.shown(item.name.string))\t\(Terminal.shown(item.updatedAt))") }
                }
            }
        }
    }
}
