import ArgumentParser
import Foundation
import SeclabAPI
import SeclabOwner
import SeclabFormat
import SeclabKeys
import SeclabPassphrase
import SeclabPrimitives

extension Vault {
    /// `seclab vault delete NAME`.
    struct Delete: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Delete a vault you own: its secrets, shares and machine credentials end.",
            discussion: "Asks for confirmation on a terminal unless --yes. Example: seclab vault delete staging --yes"
        )

        @OptionGroup var global: GlobalOptions
        @OptionGroup var unlock: UnlockOptions

        @Argument(help: "The vault's name or id.")
        var vault: String

        @Flag(name: .shortAndLong, help: "Do not ask for confirmation.")
        var yes = false

        func validate() throws { try Validate.nonEmpty(vault, "a vault name") }

        func run() throws {
            try Unlocker(global, unlock).withSession { session throws(CLIFailure) in
                let opened = try owner { () throws(OwnerError) in try session.vault(named: vault) }
                if !yes, Terminal.stdinIsTTY, Terminal.confirm("Delete vault '\(opened.name)' and every secret in it?") != true {
                    throw CLIFailure("not deleted", status: .failure)
                }
                try owner { () throws(OwnerError) in try session.deleteVault(opened) }
                Terminal.note("deleted vault '\(opened.name)'")
            }
        }
    }
}
