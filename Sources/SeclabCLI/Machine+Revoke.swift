import ArgumentParser
import Foundation
import SeclabAPI
import SeclabOwner
import SeclabFormat
import SeclabKeys
import SeclabPassphrase
import SeclabPrimitives

extension Machine {
    /// `seclab machine revoke VAULT LABEL`.
    struct Revoke: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Revoke a machine credential at once; other credentials are unaffected.",
            discussion: """
                A revoked machine may have kept the vault key: run `seclab vault rekey VAULT` so \
                that secrets written afterwards stay out of its reach. Example: seclab machine revoke prod ci-prod
                """
        )

        @OptionGroup var global: GlobalOptions
        @OptionGroup var unlock: UnlockOptions

        @Argument(help: "The vault's name or id.")
        var vault: String

        @Argument(help: "The machine's label.")
        var label: String

        func validate() throws {
            try Validate.nonEmpty(vault, "a vault name")
            try Validate.nonEmpty(label, "a machine label")
        }

        func run() throws {
            try Unlocker(global, unlock).withSession { session throws(CLIFailure) in
                let opened = try owner { () throws(OwnerError) in try session.checkedVault(named: vault) }
                try owner { () throws(OwnerError) in try session.revokeMachine(in: opened, label: label) }
                Terminal.note("revoked machine '\(label)' of vault '\(opened.name)'")
            }
        }
    }
}
