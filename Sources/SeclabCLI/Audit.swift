import ArgumentParser
import Foundation
import SeclabAPI
import SeclabClient
import SeclabFormat
import SeclabKeys
import SeclabPassphrase
import SeclabPrimitives

/// `seclab audit [VAULT]`.
struct Audit: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Show the audit log of a vault (or of every vault you own), newest first.",
        discussion: """
            Rows hold actions and ids, never content; secret names and machine labels are \
            decrypted here where you can. Example: seclab audit prod --json
            """
    )

    @OptionGroup var global: GlobalOptions
    @OptionGroup var unlock: UnlockOptions
    @OptionGroup var output: OutputOptions

    @Argument(help: "The vault's name or id (default: every vault you own).")
    var vault: String?

    @Option(help: "At most this many rows per vault (1–10000).")
    var limit = 1000

    func validate() throws {
        guard (1...10_000).contains(limit) else { throw ValidationError("--limit must be between 1 and 10000") }
    }

    struct Row: Encodable {
        let vault: String, time: String, action: String, actorKind: String, actorID: String?, outcome: String
        let slot: String?, secrets: [String], clientAddress: String?
        enum CodingKeys: String, CodingKey {
            case vault, time, action, actorKind = "actor_kind", actorID = "actor_id", outcome, slot, secrets, clientAddress = "client_address"
        }
    }

    func run() throws {
        try Unlocker(global, unlock).withSession { session throws(CLIFailure) in
            let vaults: [OwnerVault]
            if let vault {
                vaults = [try owner { () throws(OwnerError) in try session.checkedVault(named: vault) }]
            } else {
                vaults = try owner { () throws(OwnerError) in try session.listVaults() }.filter(\.isOwner)
            }
            var rows = [Row]()
            for opened in vaults {
                let audit = try owner { () throws(OwnerError) in try session.audit(opened, limit: limit) }
                for r in audit {
                    let actor = r.event.actorID == session.accountID.text ? "you" : r.event.actorID
                    rows.append(Row(vault: opened.name, time: r.event.time, action: r.event.action, actorKind: r.event.actorKind,
                                    actorID: actor, outcome: r.event.outcome, slot: r.slotLabel, secrets: r.itemNames,
                                    clientAddress: r.event.clientAddress))
                }
            }
            if output.json { try JSONOutput.print(rows); return }
            for row in rows {
                var line = "\(row.time)\t\(row.vault)\t\(row.action)\t\(row.outcome)\t\(row.actorKind) \(row.actorID ?? "-")"
                if let slot = row.slot { line += "\tslot: \(slot)" }
                if !row.secrets.isEmpty { line += "\tsecrets: \(row.secrets.joined(separator: ","))" }
                Terminal.output(line: line)
            }
        }
    }
}
