import ArgumentParser
import Foundation
import SeclabAPI
import SeclabOwner
import SeclabFormat
import SeclabKeys
import SeclabPassphrase
import SeclabPrimitives

extension Vault {
    /// `seclab vault create NAME`.
    struct Create: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Create a vault; its key and name are made and sealed on this device.",
            discussion: "Example: seclab vault create prod"
        )

        @OptionGroup var global: GlobalOptions
        @OptionGroup var unlock: UnlockOptions

        @Argument(help: "The vault's name (encrypted; the server never sees it).")
        var name: String

        func validate() throws {
            try Validate.nonEmpty(name, "a vault name")
            guard name.utf8.count <= 1000 else { throw ValidationError("a vault name is at most 1000 bytes") }
        }

        func run() throws {
            try Unlocker(global, unlock).withSession { session throws(CLIFailure) in
                let vault = try owner { () throws(OwnerError) in try session.createVault(named: name) }
                Terminal.note("created vault '\(vault.name)' (\(vault.id.text))")
            }
        }
    }
}
