import ArgumentParser
import Foundation
import SeclabAPI
import SeclabOwner
import SeclabFormat
import SeclabKeys
import SeclabPassphrase
import SeclabPrimitives

extension Vault {
    /// `seclab vault list`.
    struct List: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "List your vaults and the vaults shared with you, names decrypted here.",
            discussion: """
                Shows your role in each (owner, read, write). A shared vault whose granter key was never \
                verified is flagged; one that does not open is listed as broken with who shared it. \
                Example: seclab vault list --json
                """
        )

        @OptionGroup var global: GlobalOptions
        @OptionGroup var unlock: UnlockOptions
        @OptionGroup var output: OutputOptions

        struct Row: Encodable {
            let name: String?, id: String, role: String, owner: String, granterKey: String, sharedBy: String?, problem: String?
            enum CodingKeys: String, CodingKey {
                case name, id = "vault_id", role, owner = "owner_account_id", granterKey = "granter_key", sharedBy = "shared_by", problem
            }
        }

        func run() throws {
            try Unlocker(global, unlock).withSession { session throws(CLIFailure) in
                let listing = try owner { () throws(OwnerError) in try session.vaultListing() }
                let vaults = listing.vaults.sorted { $0.name < $1.name }
                if output.json {
                    try JSONOutput.print(vaults.map {
                        Row(name: $0.name, id: $0.id.text, role: $0.role, owner: $0.context.ownerAccountID.text,
                            granterKey: $0.trustText, sharedBy: $0.isOwner ? nil : $0.slot.grantedByEmail, problem: nil)
                    } + listing.broken.map {
                        Row(name: nil, id: $0.vaultID, role: "broken", owner: $0.grantedBy, granterKey: "unknown", sharedBy: $0.grantedByEmail,
                            problem: $0.reason)
                    })
                } else {
                    for vault in vaults {
                        Terminal.output(line: "\(Terminal.shown(vault.name))\t\(vault.id.text)\t\(vault.roleText)")
                    }
                    for broken in listing.broken {
                        Terminal.output(line: "(does not open)\t\(broken.vaultID)\tbroken, shared by \(Terminal.shown(broken.sharer))")
                    }
                }
                for case let .unverified(fingerprint) in vaults.map(\.trust) {
                    Terminal.warning("a vault shared with you was sealed by a key you have not verified (fingerprint \(fingerprint)); compare it with the vault's owner out of band")
                }
                for broken in listing.broken {
                    Terminal.warning("vault \(broken.vaultID), shared with you by \(Terminal.shown(broken.sharer)), does not open and is never used (\(Terminal.shown(broken.reason))); leave it with `seclab vault decline \(broken.vaultID)`")
                }
                let pending = (try? session.pendingInvitationCount()) ?? 0
                if pending > 0 {
                    Terminal.note("\(pending) vault invitation(s) waiting: see `seclab vault invites`")
                }
            }
        }
    }
}
