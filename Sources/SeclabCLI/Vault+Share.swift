import ArgumentParser
import SeclabClient
import SeclabFormat
import SeclabKeys

extension Vault {
    /// `seclab vault share VAULT --with EMAIL [--fingerprint FP]`.
    struct Share: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Share a vault: its key is wrapped to the grantee's public key on this device.",
            discussion: """
                Shows the grantee's key fingerprint and asks you to confirm it, or checks it against \
                --fingerprint. The key is pinned; a later change is refused loudly.
                Example: seclab vault share prod --with alice@example.com --fingerprint ABCD-EFGH-…
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

        func validate() throws {
            try Validate.nonEmpty(vault, "a vault name")
            try Validate.email(grantee)
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
                try owner { () throws(OwnerError) in try session.share(opened, with: account) }
                Terminal.note("shared vault '\(opened.name)' with \(account.email)")
            }
        }
    }

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
