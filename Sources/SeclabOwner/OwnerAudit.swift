import SeclabClient
public import SeclabAPI
import SeclabFormat
import SeclabKeys
import SeclabPrimitives

/// One audit row with what this device could decrypt: item names for key refs, machine
/// labels and share e-mails for slots.
public struct AuditRow: Sendable {
    /// The server's row (actions and ids, never content).
    public let event: AuditEvent
    /// Names of the key refs that are live items now (refs of deleted items stay refs).
    public let itemNames: [String]
    /// A label for the slot: `owner`, a machine label, or a grantee's e-mail.
    public let slotLabel: String?
}

/// Which rows to ask for; every field optional.
public struct AuditQuery: Sendable {
    /// Exact action name, e.g. `item.put`.
    public var action: String?
    /// Exact actor id (account or machine slot).
    public var actorID: String?
    /// RFC 3339 UTC time: rows at or after it.
    public var since: String?
    /// Memberwise.
    public init(action: String? = nil, actorID: String? = nil, since: String? = nil) {
        self.action = action; self.actorID = actorID; self.since = since
    }

    var parameters: String {
        var out = ""
        for (name, value) in [("action", action), ("actor", actorID), ("since", since)] {
            guard let value else { continue }
            out += "&\(name)=" + Self.escape(value)
        }
        return out
    }

    /// Query-string escaping: everything but unreserved characters as %XX.
    static func escape(_ value: String) -> String {
        var out = ""
        for byte in value.utf8 {
            let char = Character(UnicodeScalar(byte))
            if char.isASCII, char.isLetter || char.isNumber || "-._~".contains(char) { out.append(char) }
            else { out += "%" + String(byte >> 4, radix: 16, uppercase: true) + String(byte & 15, radix: 16, uppercase: true) }
        }
        return out
    }
}

/// One page of a vault's audit log.
public struct AuditPage: Sendable {
    /// The rows, newest first, labelled locally.
    public let rows: [AuditRow]
    /// Pass as `cursor` for the next, older page; nil on the last page.
    public let nextCursor: String?
}

extension OwnerSession {
    /// The vault's audit rows, newest first, labelled locally (owner only): up to `limit` rows
    /// (`nil`: all), starting after `cursor`, fetched in pages of at most 1,000.
    public func audit(_ vault: OwnerVault, limit: Int? = 1000, cursor: String? = nil, query: AuditQuery = AuditQuery()) throws(OwnerError) -> AuditPage {
        guard vault.isOwner else { throw .notOwner("only the owner can read the audit log of '\(vault.name)'") }
        var events: [AuditEvent] = []
        var next = cursor
        repeat {
            let page = min(1000, limit.map { $0 - events.count } ?? 1000)
            let path = "\(vault.path)/audit?limit=\(page)" + (next.map { "&cursor=" + AuditQuery.escape($0) } ?? "") + query.parameters
            let list: AuditList = try call("vault '\(vault.name)'") { () throws(ClientError) in
                try client.send("GET", path, authorization: authorization, idempotent: true)
            }
            events += list.events
            next = list.nextCursor
        } while next != nil && (limit.map { events.count < $0 } ?? true)
        var names = [String: String]()
        for item in try listItems(in: vault) { names[item.keyRef.text] = item.name.string }
        var slotLabels = [String: String]()
        let slots = try slotList(vault)
        for slot in slots.slots {
            if slot.kind == "owner" { slotLabels[slot.slotID] = "owner" } else {
                slotLabels[slot.slotID] = (try? SeclabID(text: slot.accountID)).flatMap { pins.key(for: $0)?.email } ?? "share \(slot.accountID)"
            }
        }
        for machine in try listMachines(in: vault) { slotLabels[machine.slotID.text] = "machine \(machine.label)" }
        let rows = events.map { event in
            AuditRow(event: event, itemNames: event.keyRefs.map { names[$0] ?? $0 }, slotLabel: event.slotID.flatMap { slotLabels[$0] })
        }
        return AuditPage(rows: rows, nextCursor: next)
    }
}
