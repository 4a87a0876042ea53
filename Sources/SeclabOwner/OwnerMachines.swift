import SeclabClient
public import SeclabAPI
public import SeclabFormat
public import SeclabKeys
import SeclabPrimitives

/// A machine slot as its owner sees it, label decrypted.
public struct MachineSummary: Sendable {
    /// The slot id.
    public let slotID: SeclabID
    /// The decrypted label.
    public let label: String
    /// RFC 3339 creation time.
    public let createdAt: String
    /// RFC 3339 time of the last pull, if any.
    public let lastUsedAt: String?
    /// The CI identity binding, nil when the slot is unbound.
    public let binding: OIDCBinding?
}

extension OwnerSession {
    /// Mint a machine credential for one vault (spec §6.2): MK made here; the server gets the
    /// label and VK sealed, the owner's escrow of the unwrap key and `auth_secret` only.
    /// With `binding`, the slot pulls only with a CI identity token the binding accepts.
    public func createMachine(in vault: OwnerVault, label: String, binding: OIDCBinding? = nil) throws(OwnerError) -> MachineCredential {
        guard vault.isOwner else { throw .notOwner("only the owner of vault '\(vault.name)' can create machine credentials") }
        guard !label.isEmpty else { throw .invalidInput("a machine label cannot be empty") }
        if try listMachines(in: vault).contains(where: { $0.label == label }) {
            throw .conflict("vault '\(vault.name)' already has a machine named '\(label)'")
        }
        let credential = MachineCredential.generate(for: vault.context)
        let slotID = credential.slotID
        let unwrapKey = credential.unwrapKey
        let escrow: HPKEWrap
        do { escrow = try MachineSlot.escrow(unwrapKey, owner: keys, in: vault.context, slotID: slotID) } catch {
            throw .invalidInput(error.description)
        }
        let request = CreateMachineSlotRequest(slotID: slotID.text,
                                               encLabel: vault.vaultKey.sealMachineLabel(label, in: vault.context, slotID: slotID).text,
                                               wrappedVK: MachineSlot.wrap(vault.vaultKey, with: unwrapKey, in: vault.context, slotID: slotID).text,
                                               unwrapKeyEscrow: escrow.text, authSecret: credential.authSecret.text,
                                               oidcBinding: binding)
        do throws(APIValidationError) { try request.validate() } catch {
            throw .invalidInput("\(error.field == "enc_label" ? "machine label" : error.field): \(error.reason)")
        }
        let _: MachineSlotView = try call("vault '\(vault.name)'") { () throws(ClientError) in
            try client.send("POST", "\(vault.path)/machines", body: request, authorization: authorization, idempotent: false)
        }
        return credential
    }

    /// The vault's machine slots with their labels opened (owner only). Fails closed.
    public func listMachines(in vault: OwnerVault) throws(OwnerError) -> [MachineSummary] {
        try machineViews(vault).map { view throws(OwnerError) in
            MachineSummary(slotID: try slotID(view, vault), label: try label(view, vault), createdAt: view.createdAt, lastUsedAt: view.lastUsedAt,
                           binding: view.oidcBinding)
        }
    }

    /// Revoke the machine slot with this label.
    public func revokeMachine(in vault: OwnerVault, label: String) throws(OwnerError) {
        let matches = try listMachines(in: vault).filter { $0.label == label }
        guard let slot = matches.first else { throw .notFound("machine '\(label)' in vault '\(vault.name)'") }
        guard matches.count == 1 else { throw .conflict("several machines are named '\(label)'") }
        try call("machine '\(label)'") { () throws(ClientError) in
            try client.sendExpectingNoContent("DELETE", "\(vault.path)/machines/\(slot.slotID.text)", authorization: authorization, idempotent: true)
        }
    }

    func machineViews(_ vault: OwnerVault) throws(OwnerError) -> [MachineSlotView] {
        guard vault.isOwner else { throw .notOwner("only the owner of vault '\(vault.name)' can see its machines") }
        let list: MachineSlotList = try call("vault '\(vault.name)'") { () throws(ClientError) in
            try client.send("GET", "\(vault.path)/machines", authorization: authorization, idempotent: true)
        }
        return list.machines
    }

    func slotID(_ view: MachineSlotView, _ vault: OwnerVault) throws(OwnerError) -> SeclabID {
        do { return try SeclabID(text: view.slotID, what: "slot_id") } catch { throw .integrity("a machine slot of '\(vault.name)': \(error)") }
    }

    func label(_ view: MachineSlotView, _ vault: OwnerVault) throws(OwnerError) -> String {
        do {
            return try vault.vaultKey.openMachineLabel(AEADBlob(text: view.encLabel, what: "enc_label"), in: vault.context,
                                                       slotID: slotID(view, vault))
        } catch let error as OwnerError {
            throw error
        } catch {
            throw .integrity("a machine slot of '\(vault.name)': \(error)")
        }
    }
}
