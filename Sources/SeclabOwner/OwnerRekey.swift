import SeclabAPI
import SeclabClient
import SeclabFormat
import SeclabKeys
import SeclabPrimitives

extension OwnerSession {
    /// Rekey a vault (spec §6–§7): a new VK and index key; every live item opened and
    /// re-sealed; every slot re-wrapped on this device; one atomic swap on the server.
    ///
    /// Owner and share slots get fresh HPKE auth wraps from the owner (share recipients by
    /// their **pinned** key: a key we never verified is not re-wrapped to). Machine slots get
    /// the new VK under their unwrap key, opened from the owner's escrow (spec §6.2), so their
    /// credentials keep working. Returns the number of items re-encrypted.
    @discardableResult
    public func rekey(_ vault: OwnerVault, progress: (Int, Int) -> Void = { _, _ in }) throws(OwnerError) -> Int {
        guard vault.isOwner else { throw .notOwner("only the owner can rekey vault '\(vault.name)'") }
        let slots = try slotList(vault)
        let items = try openAllItems(in: vault)
        let context = vault.context
        let newVK = VaultKey.generate()
        let newIndex = IndexKey.generate()
        let cipher = ItemCipher(vaultKey: newVK, indexKey: newIndex, context: context)
        var rekeySlots = [RekeySlot]()
        do {
            for slot in slots.slots {
                let slotID = try SeclabID(text: slot.slotID, what: "slot_id")
                let recipient: X25519PublicKey
                if slot.kind == "owner" {
                    guard slot.accountID == accountID.text else { throw OwnerError.integrity("the owner slot belongs to another account") }
                    recipient = keys.publicKey
                } else {
                    let grantee = try SeclabID(text: slot.accountID, what: "account_id")
                    // Why verified pins only: the slot list is the server's word, and a pin made
                    // on first use records whatever key a server once showed us (for instance
                    // with a share it planted in our vault list). Wrapping the new VK to such a
                    // key would hand it to whoever the server chose. Only keys checked by
                    // fingerprint when sharing from this device (spec §5, §6.1) get a new VK.
                    guard let pinned = pins.key(for: grantee), pinned.verified else {
                        throw OwnerError.invalidInput("vault '\(vault.name)' is shared with account \(grantee.text), whose key was not verified on this device: unshare and share it again from here, then rekey")
                    }
                    recipient = try X25519PublicKey(text: pinned.publicKey)
                }
                let wrap = try PublicKeySlot.wrap(newVK, to: recipient, from: keys.privateKey, in: context, slotID: slotID)
                rekeySlots.append(RekeySlot(slotID: slot.slotID, wrappedVK: wrap.text))
            }
            for machine in slots.machines {
                let slotID = try SeclabID(text: machine.slotID, what: "slot_id")
                let unwrapKey = try MachineSlot.openEscrow(HPKEWrap(text: machine.unwrapKeyEscrow, what: "unwrap_key_escrow"),
                                                           owner: keys, in: context, slotID: slotID)
                let label = try vault.vaultKey.openMachineLabel(AEADBlob(text: machine.encLabel, what: "enc_label"), in: context, slotID: slotID)
                rekeySlots.append(RekeySlot(slotID: machine.slotID,
                                            wrappedVK: MachineSlot.wrap(newVK, with: unwrapKey, in: context, slotID: slotID).text,
                                            encLabel: newVK.sealMachineLabel(label, in: context, slotID: slotID).text))
            }
        } catch let error as OwnerError {
            throw error
        } catch {
            throw .integrity("a slot of vault '\(vault.name)': \(error)")
        }
        var rekeyItems = [RekeyItem]()
        for (index, item) in items.enumerated() {
            let sealed: SealedItem
            do { sealed = try cipher.seal(name: item.name, value: item.value) } catch { throw .invalidInput(error.description) }
            rekeyItems.append(RekeyItem(keyRef: sealed.keyRef.text, encName: sealed.encName.text, encValue: sealed.encValue.text))
            progress(index + 1, items.count)
        }
        let request = RekeyRequest(encName: newVK.sealName(vault.name, in: context).text,
                                   wrappedIndexKey: newVK.wrap(newIndex, in: context).text, slots: rekeySlots, items: rekeyItems)
        do throws(APIValidationError) { try request.validate() } catch { throw .invalidInput("\(error)") }
        try call("vault '\(vault.name)'") { () throws(ClientError) in
            try client.sendExpectingNoContent("POST", "\(vault.path)/rekey", body: request, authorization: authorization, idempotent: false)
        }
        return items.count
    }
}
