import ArgumentParser
import Foundation
import SeclabAPI
import SeclabOwner
import SeclabFormat
import SeclabKeys
import SeclabPassphrase
import SeclabPrimitives

extension Secret {
    /// `seclab secret delete VAULT NAME`.
    struct Delete: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Delete a secret (a tombstone; its ciphertext is cleared on the server).",
            discussion: "Example: seclab secret delete prod OLD_TOKEN"
        )

        @OptionGroup var global: GlobalOptions
        @OptionGroup var unlock: UnlockOptions

        @Argument(help: "The vault's name or id.")
        var vault: String

        @Argument(help: "The secret's name.")
        var name: String

        func validate() throws {
            try Validate.nonEmpty(vault, "a vault name")
            _ = try Validate.itemName(name)
        }

        func run() throws {
            let itemName = try Validate.itemName(name)
            try Unlocker(global, unlock).withSession { session throws(CLIFailure) in
                let opened = try owner { () throws(OwnerError) in try session.checkedVault(named: vault) }
                try owner { () throws(OwnerError) in try session.deleteItem(in: opened, name: itemName) }
                Terminal.note("deleted \(Terminal.shown(itemName.string)) from vault '\(Terminal.shown(opened.name))'")
            }
        }
    }
}
