import ArgumentParser
import Foundation
import SeclabAPI
import SeclabOwner
import SeclabFormat
import SeclabKeys
import SeclabPassphrase
import SeclabPrimitives

extension Vault {
    /// `seclab vault rekey VAULT`.
    struct Rekey: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "New vault key and index key; every secret re-encrypted and every slot re-wrapped here.",
            discussion: """
                Swapped atomically on the server. Machine credentials keep working (through your \
                escrow copy of their unwrap keys); revoked machines and removed grantees cannot \
                read anything written afterwards. Example: seclab vault rekey prod
                """
        )

        @OptionGroup var global: GlobalOptions
        @OptionGroup var unlock: UnlockOptions

        @Argument(help: "The vault's name or id.")
        var vault: String

        func validate() throws { try Validate.nonEmpty(vault, "a vault name") }

        func run() throws {
            try Unlocker(global, unlock).withSession { session throws(CLIFailure) in
                let opened = try owner { () throws(OwnerError) in try session.vault(named: vault) }
                Terminal.progress("re-encrypting vault '\(opened.name)'")
                let count = try owner { () throws(OwnerError) in
                    try session.rekey(opened) { done, total in
                        if total >= 100, done % 100 == 0 || done == total { Terminal.progress("\(done)/\(total) secrets") }
                    }
                }
                Terminal.note("rekeyed vault '\(opened.name)': \(count) secret\(count == 1 ? "" : "s") re-encrypted")
            }
        }
    }
}
