import ArgumentParser
import Foundation
import SeclabAPI
import SeclabOwner
import SeclabFormat
import SeclabKeys
import SeclabPassphrase
import SeclabPrimitives

extension Vault {
    /// `seclab vault show VAULT`.
    struct Show: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Show one vault: your role, who shared it, and (for its owner) its shares and machines.",
            discussion: "Example: seclab vault show prod --json"
        )

        @OptionGroup var global: GlobalOptions
        @OptionGroup var unlock: UnlockOptions
        @OptionGroup var output: OutputOptions

        @Argument(help: "The vault's name or id.")
        var vault: String

        struct ShareRow: Encodable {
            let account: String, email: String?, role: String, accepted: Bool
            enum CodingKeys: String, CodingKey { case account = "account_id", email, role, accepted }
        }

        struct Shown: Encodable {
            let name: String, id: String, role: String, owner: String, sharedBy: String?, granterKey: String
            let shares: [ShareRow]?, machines: Int?
            enum CodingKeys: String, CodingKey {
                case name, id = "vault_id", role, owner = "owner_account_id", sharedBy = "shared_by", granterKey = "granter_key", shares, machines
            }
        }

        func validate() throws { try Validate.nonEmpty(vault, "a vault name") }

        func run() throws {
            try Unlocker(global, unlock).withSession { session throws(CLIFailure) in
                let opened = try owner { () throws(OwnerError) in try session.checkedVault(named: vault) }
                var shares: [ShareRow]? = nil
                var machines: Int? = nil
                if opened.isOwner {
                    let listed = try owner { () throws(OwnerError) in try session.shares(of: opened) }
                    shares = listed.shares.map { ShareRow(account: $0.accountID, email: $0.email, role: $0.role, accepted: $0.accepted) }
                    machines = listed.machines
                }
                let shown = Shown(name: opened.name, id: opened.id.text, role: opened.role, owner: opened.context.ownerAccountID.text,
                                  sharedBy: opened.isOwner ? nil : (opened.slot.grantedByEmail ?? opened.slot.grantedBy),
                                  granterKey: opened.trustText, shares: shares, machines: machines)
                if output.json { try JSONOutput.print(shown); return }
                var lines = ["name:\t\(Terminal.shown(shown.name))", "id:\t\(shown.id)", "role:\t\(opened.roleText)",
                             "owner:\t\(opened.isOwner ? "you" : "account \(shown.owner)")"]
                if let sharedBy = shown.sharedBy { lines.append("shared by:\t\(Terminal.shown(sharedBy))") }
                if let shares {
                    lines.append("shares:\t\(shares.isEmpty ? "none" : "")")
                    for share in shares {
                        lines.append("  \(Terminal.shown(share.email ?? "account \(share.account)"))\t\(share.role)\t\(share.accepted ? "accepted" : "invited, not accepted yet")")
                    }
                }
                if let machines { lines.append("machines:\t\(machines)") }
                Terminal.output(line: lines.joined(separator: "\n"))
            }
        }
    }
}
