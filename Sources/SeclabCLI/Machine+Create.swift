import ArgumentParser
import Foundation
import SeclabAPI
import SeclabOwner
import SeclabFormat
import SeclabKeys
import SeclabPassphrase
import SeclabPrimitives

extension Machine {
    /// `seclab machine create VAULT --name LABEL`.
    struct Create: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Mint a machine credential for one vault; prints only the slmk2_… credential on stdout.",
            discussion: """
                The machine key is made here; the server gets only a hash-able auth secret. Store the \
                credential in your CI's secret store: it is shown once.
                Example: SECLAB_MACHINE_KEY=$(seclab machine create prod --name ci-prod)   (the variable seclab-run reads)
                """
        )

        @OptionGroup var global: GlobalOptions
        @OptionGroup var unlock: UnlockOptions

        @Argument(help: "The vault's name or id.")
        var vault: String

        @Option(help: ArgumentHelp("A label for the machine (encrypted).", valueName: "label"))
        var name: String

        func validate() throws {
            try Validate.nonEmpty(vault, "a vault name")
            try Validate.nonEmpty(name, "a machine label")
            guard name.utf8.count <= 1000 else { throw ValidationError("a machine label is at most 1000 bytes") }
        }

        func run() throws {
            try Unlocker(global, unlock).withSession { session throws(CLIFailure) in
                let opened = try owner { () throws(OwnerError) in try session.checkedVault(named: vault) }
                let credential = try owner { () throws(OwnerError) in try session.createMachine(in: opened, label: name) }
                Terminal.output(line: credential.text)
                Terminal.note("created machine '\(name)' for vault '\(opened.name)'; the credential above is shown only once")
            }
        }
    }
}
