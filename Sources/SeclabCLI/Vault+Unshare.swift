import ArgumentParser
import Foundation
import SeclabAPI
import SeclabOwner
import SeclabFormat
import SeclabKeys
import SeclabPassphrase
import SeclabPrimitives

extension Vault {
    /// `seclab vault unshare VAULT --with EMAIL`.
    struct Unshare: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Remove a grantee's slot from a vault.",
            discussion: """
                The grantee may still hold a copy of the vault key: run `seclab vault rekey VAULT` \
                to cut off anything written after that. Example: seclab vault unshare prod --with alice@example.com
                """
        )

        @OptionGroup var global: GlobalOptions
        @OptionGroup var unlock: UnlockOptions

        @Argument(help: "The vault's name or id.")
        var vault: String

        @Option(name: .customLong("with"), help: ArgumentHelp("The grantee's e-mail.", valueName: "email"))
        var grantee: String

        func validate() throws {
            try Validate.nonEmpty(vault, "a vault name")
            try Validate.email(grantee)
        }

        func run() throws {
            try Unlocker(global, unlock).withSession { session throws(CLIFailure) in
                let opened = try owner { () throws(OwnerError) in try session.vault(named: vault) }
                let accountID = try owner { () throws(OwnerError) in
                    if let pinned = session.pins.accountID(forEmail: grantee), let id = try? SeclabID(text: pinned) { return id }
                    return try session.lookupAccount(email: grantee).accountID
                }
                try owner { () throws(OwnerError) in try session.unshare(opened, accountID: accountID, email: grantee.lowercased()) }
                Terminal.note("removed \(grantee.lowercased())'s access to vault '\(opened.name)'")
                Terminal.warning("\(grantee.lowercased()) may have kept a copy of the vault key: run `seclab vault rekey \(opened.name)` so that nothing written from now on is readable with it")
            }
        }
    }
}
