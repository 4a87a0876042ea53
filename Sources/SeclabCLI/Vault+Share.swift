import ArgumentParser
import Foundation
import SeclabAPI
import SeclabOwner
import SeclabFormat
import SeclabKeys
import SeclabPassphrase
import SeclabPrimitives

extension Vault {
    /// `seclab vault share VAULT --with EMAIL [--role read|write] [--fingerprint FP]`.
    struct Share: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Share a vault: its key is wrapped to the grantee's public key on this device.",
            discussion: """
                Shows the grantee's key fingerprint and asks you to confirm it, or checks it against \
                --fingerprint. The key is pinned; a later change is refused loudly. The share is an \
                invitation: the grantee sees it in `seclab vault invites` and it opens nothing until they \
                run `seclab vault accept`. --role read (the default) lets them read; --role write also lets \
                them change secrets, which means choosing what every pipeline pulling this vault runs with.
                Example: seclab vault share prod --with alice@example.com --role read --fingerprint ABCD-EFGH-…
                """
        )

        @OptionGroup var global: GlobalOptions
        @OptionGroup var unlock: UnlockOptions

        @Argument(help: "The vault's name or id.")
        var vault: String

        @Option(name: .customLong("with"), help: ArgumentHelp("The grantee's e-mail.", valueName: "email"))
        var grantee: String

        @Option(help: ArgumentHelp("The grantee's key fingerprint, checked instead of asking.", valueName: "fp"))
        var fingerprint: String?

        @Option(help: ArgumentHelp("read (default) or write: write shares can change secrets.", valueName: "role"))
        var role = "read"

        func validate() throws {
            try Validate.nonEmpty(vault, "a vault name")
            try Validate.email(grantee)
            guard role == "read" || role == "write" else { throw ValidationError("--role takes read or write, not '\(role)'") }
            if fingerprint == nil && !Terminal.stdinIsTTY {
                throw ValidationError("without a terminal to confirm the grantee's key, pass --fingerprint FP")
            }
        }

        func run() throws {
            try Unlocker(global, unlock).withSession { session throws(CLIFailure) in
                let opened = try owner { () throws(OwnerError) in try session.vault(named: vault) }
                let account = try owner { () throws(OwnerError) in try session.lookupAccount(email: grantee) }
                Terminal.note("\(account.email)'s key fingerprint: \(account.fingerprint)")
                if let fingerprint {
                    guard Fingerprint.matches(fingerprint, account.publicKey) else {
                        throw CLIFailure(OwnerError.fingerprintMismatch(expected: fingerprint, actual: account.fingerprint))
                    }
                } else if account.pinned?.verified != true {
                    guard Terminal.confirm("Does \(account.email) confirm this fingerprint (compare out of band)?") == true else {
                        throw CLIFailure("not shared", hint: "compare the fingerprint with the grantee, then try again", status: .failure)
                    }
                }
                try owner { () throws(OwnerError) in try session.share(opened, with: account, role: role) }
                Terminal.note("invited \(account.email) to vault '\(opened.name)' (\(role)); it opens for them once they run `seclab vault accept \(opened.id.text)`")
            }
        }
    }
}
