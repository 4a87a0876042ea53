import ArgumentParser
import Foundation
import SeclabAPI
import SeclabOwner
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
            decrypted here where you can. Failures, throttled requests and denials are counted: \
            one row per kind per window with a count (×N). Pages: --limit rows, then the next \
            page with --cursor (printed when more rows remain), or --all. \
            Examples: seclab audit prod --json; seclab audit prod --action auth.machine --since 24h
            """
    )

    @OptionGroup var global: GlobalOptions
    @OptionGroup var unlock: UnlockOptions
    @OptionGroup var output: OutputOptions

    @Argument(help: "The vault's name or id (default: every vault you own).")
    var vault: String?

    @Option(help: "At most this many rows per vault (1–10000).")
    var limit = 1000

    @Flag(help: "Every row, page by page (ignores --limit).")
    var all = false

    @Option(help: "Continue after a previous page: the cursor it printed (needs VAULT).")
    var cursor: String?

    @Option(help: "Only rows of this action, e.g. item.put, auth.machine, machine.pull.")
    var action: String?

    @Option(help: "Only rows of this actor: an account or machine slot id, or 'you'.")
    var actor: String?

    @Option(help: "Only rows since this time: RFC 3339 (2026-12-05T10:00:00Z) or an age such as 30m, 24h, 7d.")
    var since: String?

    func validate() throws {
        guard (1...10_000).contains(limit) else { throw ValidationError("--limit must be between 1 and 10000") }
        if cursor != nil, vault == nil { throw ValidationError("--cursor continues one vault's log: name the vault too") }
        if let since { _ = try Self.sinceTime(since, now: Date()) }
    }

    /// `--since` as RFC 3339 UTC: given as such, or an age (`30m`, `24h`, `7d`) before `now`.
    static func sinceTime(_ text: String, now: Date) throws -> String {
        let units: [Character: Double] = ["s": 1, "m": 60, "h": 3600, "d": 86_400]
        if let unit = text.last.flatMap({ units[$0] }), let amount = Double(text.dropLast()), amount >= 0 {
            return now.addingTimeInterval(-amount * unit).formatted(Date.ISO8601FormatStyle(includingFractionalSeconds: true))
        }
        guard (try? Date(text, strategy: .iso8601)) != nil, text.hasSuffix("Z") else {
            throw ValidationError("--since must be an RFC 3339 UTC time such as 2026-12-05T10:00:00Z, or an age such as 24h")
        }
        return text
    }

    struct Row: Encodable {
        let vault: String, time: String, action: String, actorKind: String, actorID: String?, outcome: String
        let slot: String?, secrets: [String], clientAddress: String?, count: Int, keyRefCount: Int
        /// The row's short fact: a share's role, a binding set at creation, or a bound pull's CI
        /// identity claims (verified, or a refused token's, marked unverified).
        let detail: String?
        enum CodingKeys: String, CodingKey {
            case vault, time, action, actorKind = "actor_kind", actorID = "actor_id", outcome, slot, secrets, clientAddress = "client_address"
            case count, keyRefCount = "key_ref_count", detail
        }
    }

    func run() throws {
        let sinceText = try since.map { try Self.sinceTime($0, now: Date()) }
        try Unlocker(global, unlock).withSession { session throws(CLIFailure) in
            let vaults: [OwnerVault]
            if let vault {
                vaults = [try owner { () throws(OwnerError) in try session.checkedVault(named: vault) }]
            } else {
                vaults = try owner { () throws(OwnerError) in try session.listVaults() }.filter(\.isOwner)
            }
            var rows = [Row]()
            let actorID = actor == "you" ? session.accountID.text : actor
            let query = AuditQuery(action: action, actorID: actorID, since: sinceText)
            for opened in vaults {
                let page = try owner { () throws(OwnerError) in
                    try session.audit(opened, limit: all ? nil : limit, cursor: cursor, query: query)
                }
                if let next = page.nextCursor {
                    Terminal.note("more rows in '\(opened.name)': seclab audit \(opened.name) --cursor \(next) (or --all)")
                }
                for r in page.rows {
                    let actor = r.event.actorID == session.accountID.text ? "you" : r.event.actorID
                    rows.append(Row(vault: opened.name, time: r.event.time, action: r.event.action, actorKind: r.event.actorKind,
                                    actorID: actor, outcome: r.event.outcome, slot: r.slotLabel, secrets: r.itemNames,
                                    clientAddress: r.event.clientAddress, count: r.event.count ?? 1,
                                    keyRefCount: r.event.keyRefCount ?? r.event.keyRefs.count, detail: r.event.detail))
                }
            }
            if output.json { try JSONOutput.print(rows); return }
            for row in rows {
                var line = "\(row.time)\t\(row.vault)\t\(row.action)\t\(row.outcome)\(row.count > 1 ? " ×\(row.count)" : "")\t\(row.actorKind) \(row.actorID ?? "-")"
                if let address = row.clientAddress { line += "\tfrom \(address)" }
                if let slot = row.slot { line += "\tslot: \(slot)" }
                if !row.secrets.isEmpty {
                    let more = row.keyRefCount > row.secrets.count ? " (+\(row.keyRefCount - row.secrets.count) more)" : ""
                    line += "\tsecrets: \(row.secrets.joined(separator: ","))\(more)"
                }
                if let detail = row.detail { line += "\t\(detail)" }
                Terminal.output(line: line)
            }
        }
    }
}
