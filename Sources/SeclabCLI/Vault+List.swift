import ArgumentParser
import Foundation
import SeclabAPI
import SeclabClient
import SeclabFormat
import SeclabKeys
import SeclabPassphrase
import SeclabPrimitives

extension Vault {
    /// `seclab vault list`.
    struct List: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "List your vaults and the vaults shared with you, names decrypted here.",
            discussion: "A shared vault whose granter key was never verified is flagged. Example: seclab vault list --json"
        )

        @OptionGroup var global: GlobalOptions
        @OptionGroup var unlock: UnlockOptions
        @OptionGroup var output: OutputOptions

        struct Row: Encodable {
            let name: String, id: String, role: String, owner: String, granterKey: String
            enum CodingKeys: String, CodingKey { case name, id = "vault_id", role, owner = "owner_account_id", granterKey = "granter_key" }
        }

        func run() throws {
            try Unlocker(global, unlock).withSession { session throws(CLIFailure) in
                let vaults = try owner { () throws(OwnerError) in try session.listVaults() }
                    .sorted { $0.name < $1.name }
                if output.json {
                    try JSONOutput.print(vaults.map {
                        Row(name: $0.name, id: $0.id.text, role: $0.isOwner ? "owner" : "shared",
                            owner: $0.context.ownerAccountID.text, granterKey: $0.trustText)
                    })
                    return
                }
                for vault in vaults { Terminal.output(line: "\(vault.name)\t\(vault.id.text)\t\(vault.roleText)") }
                for case let .unverified(fingerprint) in vaults.map(\.trust) {
                    Terminal.warning("a vault shared with you was sealed by a key you have not verified (fingerprint \(fingerprint)); compare it with the vault's owner out of band")
                }
            }
        }
    }
}
