import ArgumentParser
import Foundation
import SeclabAPI
import SeclabOwner
import SeclabFormat
import SeclabKeys
import SeclabPassphrase
import SeclabPrimitives

extension Vault {
    /// `seclab vault invites`: the shares offered to you, not accepted yet.
    struct Invites: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "List the vaults others offered to share with you (not used until you accept).",
            discussion: """
                Each line: vault id, name (or why it does not open), role, who shared it and their key \
                fingerprint. Example: seclab vault invites --json
                """
        )

        @OptionGroup var global: GlobalOptions
        @OptionGroup var unlock: UnlockOptions
        @OptionGroup var output: OutputOptions

        struct Row: Encodable {
            let id: String, name: String?, role: String, sharedBy: String, sharedByEmail: String?, fingerprint: String?, problem: String?
            enum CodingKeys: String, CodingKey {
                case id = "vault_id", name, role, sharedBy = "shared_by", sharedByEmail = "shared_by_email", fingerprint, problem
            }
        }

        func run() throws {
            try Unlocker(global, unlock).withSession { session throws(CLIFailure) in
                let invitations = try owner { () throws(OwnerError) in try session.invitations() }
                if output.json {
                    try JSONOutput.print(invitations.map {
                        Row(id: $0.vaultID, name: $0.vault?.name, role: $0.role, sharedBy: $0.grantedBy, sharedByEmail: $0.grantedByEmail,
                            fingerprint: $0.fingerprint, problem: $0.problem)
                    })
                    return
                }
                if invitations.isEmpty { Terminal.note("no invitations"); return }
                for invitation in invitations {
                    let name = invitation.vault.map { Terminal.shown($0.name) } ?? "(does not open: decline it)"
                    Terminal.output(line: "\(invitation.vaultID)\t\(name)\t\(invitation.role)\tfrom \(Terminal.shown(invitation.sharer))\tfingerprint \(invitation.fingerprint ?? "unreadable")")
                }
            }
        }
    }

    /// `seclab vault accept VAULT [--fingerprint FP]`.
    struct Accept: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Accept a vault shared with you: only then is it listed and used by name.",
            discussion: """
                Checks that the share opens under its sender's key and pins that key (as verified with \
                --fingerprint, which you compare with the sender out of band; on a terminal you are asked). \
                Example: seclab vault accept 7d0c…-… --fingerprint ABCD-EFGH-…
                """
        )

        @OptionGroup var global: GlobalOptions
        @OptionGroup var unlock: UnlockOptions

        @Argument(help: "The vault's id (or its name, when it is unique among your invitations).")
        var vault: String

        @Option(help: ArgumentHelp("The sender's key fingerprint, checked instead of asking.", valueName: "fp"))
        var fingerprint: String?

        func validate() throws { try Validate.nonEmpty(vault, "a vault id") }

        func run() throws {
            try Unlocker(global, unlock).withSession { session throws(CLIFailure) in
                let invitation = try owner { () throws(OwnerError) in try session.invitation(vault) }
                var checked = fingerprint
                if checked == nil, let shown = invitation.fingerprint, invitation.problem == nil {
                    Terminal.note("\(Terminal.shown(invitation.sharer)) shares with key fingerprint \(shown)")
                    if Terminal.stdinIsTTY {
                        guard Terminal.confirm("Does the sender confirm this fingerprint (compare out of band)?") == true else {
                            throw CLIFailure("not accepted", hint: "compare the fingerprint with the sender, then try again", status: .failure)
                        }
                        checked = shown
                    }
                }
                let opened = try owner { () throws(OwnerError) in try session.accept(invitation, fingerprint: checked) }
                if checked == nil {
                    Terminal.warning("accepted without checking the sender's key fingerprint; compare it with \(Terminal.shown(invitation.sharer)) out of band")
                }
                Terminal.note("accepted vault '\(Terminal.shown(opened.name))' (\(opened.role)) from \(Terminal.shown(invitation.sharer))")
            }
        }
    }

    /// `seclab vault decline VAULT_ID`.
    struct Decline: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Decline a vault offered to you, or leave one shared with you (even one that does not open).",
            discussion: "Example: seclab vault decline 7d0c…-…"
        )

        @OptionGroup var global: GlobalOptions
        @OptionGroup var unlock: UnlockOptions

        @Argument(help: "The vault's id (see `seclab vault invites` or `seclab vault list`).")
        var vault: String

        func validate() throws { try Validate.nonEmpty(vault, "a vault id") }

        func run() throws {
            try Unlocker(global, unlock).withSession { session throws(CLIFailure) in
                try owner { () throws(OwnerError) in try session.decline(vaultID: vault) }
                Terminal.note("removed your share of vault \(vault.lowercased())")
            }
        }
    }
}
