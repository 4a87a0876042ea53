import ArgumentParser
import Foundation
import SeclabAPI
import SeclabOwner
import SeclabFormat
import SeclabKeys
import SeclabPassphrase
import SeclabPrimitives

extension Machine {
    /// `seclab machine list VAULT`.
    struct List: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "List a vault's machine credentials (labels, creation, last use and any CI identity binding).",
            discussion: "Example: seclab machine list prod"
        )

        @OptionGroup var global: GlobalOptions
        @OptionGroup var unlock: UnlockOptions
        @OptionGroup var output: OutputOptions

        @Argument(help: "The vault's name or id.")
        var vault: String

        func validate() throws { try Validate.nonEmpty(vault, "a vault name") }

        struct Row: Encodable {
            let label: String, slotID: String, createdAt: String, lastUsedAt: String?
            let oidcBinding: OIDCBinding?
            enum CodingKeys: String, CodingKey {
                case label, slotID = "slot_id", createdAt = "created_at", lastUsedAt = "last_used_at", oidcBinding = "oidc_binding"
            }
        }

        func run() throws {
            try Unlocker(global, unlock).withSession { session throws(CLIFailure) in
                let opened = try owner { () throws(OwnerError) in try session.checkedVault(named: vault) }
                let machines = try owner { () throws(OwnerError) in try session.listMachines(in: opened) }.sorted { $0.label < $1.label }
                if output.json {
                    try JSONOutput.print(machines.map {
                        Row(label: $0.label, slotID: $0.slotID.text, createdAt: $0.createdAt, lastUsedAt: $0.lastUsedAt, oidcBinding: $0.binding)
                    })
                } else {
                    for m in machines {
                        let bound = m.binding.map { "\tbound: \(MachineBinding.text($0))" } ?? ""
                        Terminal.output(line: "\(m.label)\t\(m.createdAt)\t\(m.lastUsedAt ?? "never used")\(bound)")
                    }
                }
            }
        }
    }
}
