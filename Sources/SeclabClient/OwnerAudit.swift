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

extension OwnerSession {
    /// The vault's audit rows, newest first, labelled locally (owner only).
    public func audit(_ vault: OwnerVault, limit: Int = 1000) throws(OwnerError) -> [AuditRow] {
        guard vault.isOwner else { throw .notOwner("only the owner can read the audit log of '\(vault.name)'") }
        let list: AuditList = try call("vault '\(vault.name)'") { () throws(ClientError) in
            try client.send("GET", "\(vault.path)/audit?limit=\(limit)", authorization: authorization, idempotent: true)
        }
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
        return list.events.map { event in
            AuditRow(event: event, itemNames: event.keyRefs.map { names[$0] ?? $0 }, slotLabel: event.slotID.flatMap { slotLabels[$0] })
        }
    }
}
