import Foundation
import SeclabFormat
import SeclabHPKE
import SeclabKeys
import SeclabPrimitives
import SeclabTestSupport
import Testing

/// Shares are where a malicious server can try to hand a client a key of its own choosing
/// (spec §6.1): plant a vault from an account it invented, impersonate a granter, swap a
/// grantee's public key, or slip its own account into a rekey.
@Suite("Sharing against a malicious server")
struct SharingAttackTests {
    /// A vault planted in friend's list by an invented account opens (HPKE auth proves only
    /// that *that* account sealed it, and a server can invent accounts), so it must be flagged:
    /// the row shows "NOT verified" with the impostor's fingerprint, stderr warns, JSON says
    /// `unverified`; the genuine share from the verified owner is not flagged.
    @Test func plantedShareIsFlagged() throws {
        let world = try HostileWorld.get()
        let planted = try world.attacker.plantedVault(name: "payments", recipientID: world.friendID, recipientKey: world.friendKey)
        let proxy = try TamperingProxy(upstream: world.server.baseURL, rewrite: Attack.plant(planted))
        defer { proxy.close() }
        let device = try world.friend.clone(server: proxy.baseURL)
        let run = try device.run(Cmd.vaults)
        #expect(run.status == 0, "\(run.stderr)")
        let rows = run.text.split(separator: "\n").map(String.init)
        let payments = rows.first { $0.hasPrefix("payments\t") } ?? ""
        #expect(payments.contains("NOT verified") && payments.contains(world.attacker.fingerprint), "\(run.text)")
        #expect(rows.first { $0.hasPrefix("prod\t") }?.hasSuffix("\tshared read") == true, "the genuine share is flagged: \(run.text)")
        #expect(run.stderr.contains("warning") && run.stderr.contains(world.attacker.fingerprint), "\(run.stderr)")
        let json = try device.run(Cmd.vaults + ["--json"])
        let list = try #require(try JSONSerialization.jsonObject(with: Data(json.stdout)) as? [[String: Any]])
        #expect(list.first { $0["name"] as? String == "payments" }?["granter_key"] as? String == "unverified")
        #expect(list.first { $0["name"] as? String == "prod" }?["granter_key"] as? String == "verified")
        // Reading or writing into the planted vault warns too, not only `vault list`.
        let read = try device.run(["secret", "list", "payments"])
        #expect(read.stderr.contains("warning") && read.stderr.contains(world.attacker.fingerprint), "\(read.stderr)")
        let genuine = try device.run(["secret", "list", "prod"])
        #expect(genuine.status == 0 && !genuine.stderr.contains("warning"), "\(genuine.stderr)")
        Report.line("seclab vault list | planted share | \(run.status) | \(payments)")
    }

    /// The server re-seals the owner's genuine share to friend with its own key and a vault key
    /// of its choosing, posing as the owner. Friend has the owner's key pinned: refused, exit 6,
    /// with the loud "HAS CHANGED" message; nothing printed or saved.
    @Test func impersonatedGranterIsRefusedWhenPinned() throws {
        let world = try HostileWorld.get()
        let (run, device, before) = try impersonateOwner(world, keepPins: true)
        #expect(run.status == 6, "\(run.stderr)")
        #expect(run.stdout.isEmpty)
        #expect(run.errorLines("seclab").first?.contains("HAS CHANGED") == true, "\(run.stderr)")
        #expect(device.snapshot() == before)
        Report.line("seclab vault list | impersonated granter, pinned | \(run.status) | \(run.errorLines("seclab").first ?? "")")
    }

    /// The same on a device that never pinned the owner (trust on first use, spec §6.1): the
    /// share opens but is flagged with the impostor's fingerprint, never shown as verified.
    @Test func impersonatedGranterIsFlaggedOnFirstUse() throws {
        let world = try HostileWorld.get()
        let (run, _, _) = try impersonateOwner(world, keepPins: false)
        #expect(run.status == 0, "\(run.stderr)")
        let prod = run.text.split(separator: "\n").first { $0.hasPrefix("prod\t") } ?? ""
        #expect(prod.contains("NOT verified") && prod.contains(world.attacker.fingerprint), "\(run.text)")
        #expect(run.stderr.contains(world.attacker.fingerprint))
    }

    /// `vault share` with the grantee's key swapped in the lookup, under the grantee's account
    /// id or under one the server invented. Refused with exit 6 both when the grantee is
    /// pinned (even if the user typed the impostor's fingerprint: the pin protects the person,
    /// whatever id the server now names; bug fixed in OwnerSharing.swift) and when not (the
    /// typed, genuine fingerprint does not match); no share is ever sent.
    @Test(arguments: [(true, false), (true, true), (false, false), (false, true)])
    func swappedGranteeKeyIsRefused(pinned: Bool, newAccountID: Bool) throws {
        let world = try HostileWorld.get()
        let proxy = try TamperingProxy(upstream: world.server.baseURL, rewrite: Attack.all(
            Attack.json("GET", "/v1/accounts/lookup") { object in
                object["public_key"] = world.attacker.publicKey.text
                if newAccountID { object["account_id"] = world.attacker.accountID.text }
            },
            // Without pins, hide the vault friend shared with owner, whose listing would pin
            // friend's key on first use (and refuse the swap for that reason instead).
            Attack.json("GET", "/v1/vaults") { object in
                if !pinned { object["vaults"] = object.list("vaults").filter { $0.string("owner_account_id") != world.friendID } }
            }))
        defer { proxy.close() }
        let device = try world.owner.clone(server: proxy.baseURL, keepPins: pinned)
        let before = device.snapshot()
        let typed = pinned ? world.attacker.fingerprint : Fingerprint.of(world.friendKey)
        let run = try device.run(["vault", "share", "staging", "--with", HostileWorld.friendEmail, "--fingerprint", typed])
        #expect(run.status == 6, "\(run.stderr)")
        #expect(run.stdout.isEmpty)
        #expect(run.errorLines("seclab").first?.contains(pinned ? "HAS CHANGED" : "fingerprint mismatch") == true, "\(run.stderr)")
        #expect(!proxy.exchanges.contains { $0.request.method == "POST" && $0.request.path.hasSuffix("/shares") }, "a share was sent")
        #expect(device.snapshot() == before)
        Report.line("seclab vault share | swapped grantee key, pinned=\(pinned), new id=\(newAccountID) | \(run.status) | \(run.errorLines("seclab").first ?? "")")
    }

    /// The server plants a share from an invented account (so the owner's device pins that key
    /// on first use while listing), then lists that account as a grantee of prod during
    /// `vault rekey`. The new vault key must never be wrapped to it: no rekey request may carry
    /// a slot the impostor can open (bug fixed in OwnerRekey.swift: only verified pins count).
    @Test func rekeyNeverWrapsToAKeyPinnedOnFirstUse() throws {
        let world = try HostileWorld.get()
        let impostorSlot = SeclabID.random().text
        let planted = try world.attacker.plantedVault(name: "bait", recipientID: world.ownerID, recipientKey: world.ownerKey)
        let proxy = try TamperingProxy(upstream: world.server.baseURL, rewrite: Attack.all(
            Attack.plant(planted),
            Attack.json("GET", "/v1/vaults/\(world.prodID)/slots") { object in
                object["slots"] = object.list("slots") + [[
                    "slot_id": impostorSlot, "kind": "share", "account_id": world.attacker.accountID.text,
                    "wrapped_vk": (object.list("slots").first?["wrapped_vk"] ?? ""), "granted_by": world.ownerID,
                    "granted_by_public_key": world.ownerKey.text, "created_at": "2025-01-01T00:00:00.000Z",
                ] as JSONObject]
            }))
        defer { proxy.close() }
        let device = try world.owner.clone(server: proxy.baseURL)
        let listed = try device.run(Cmd.vaults)
        #expect(listed.status == 0 && listed.stderr.contains(world.attacker.fingerprint), "the bait was not flagged: \(listed.stderr)")
        let run = try device.run(["vault", "rekey", "prod"])
        let context = VaultContext(ownerAccountID: try SeclabID(text: world.ownerID), vaultID: try SeclabID(text: world.prodID))
        for exchange in proxy.exchanges where exchange.request.path.hasSuffix("/rekey") {
            for slot in Attack.decode(exchange.request.body)?.list("slots") ?? [] {
                guard let wrap = try? HPKEWrap(text: slot.string("wrapped_vk")), let id = try? SeclabID(text: slot.string("slot_id")) else { continue }
                let stolen = try? PublicKeySlot.unwrap(wrap, recipient: world.attacker.keys.privateKey, sender: world.ownerKey, in: context, slotID: id)
                #expect(stolen == nil, "the rekey wrapped the new vault key to the impostor's key")
            }
        }
        #expect(run.status != 0, "rekey went ahead with an impostor grantee")
        #expect(run.stdout.isEmpty)
        #expect(run.errorLines("seclab").first?.contains("not verified") == true, "\(run.stderr)")
        Report.line("seclab vault rekey | impostor grantee pinned on first use | \(run.status) | \(run.errorLines("seclab").first ?? "")")
    }

    /// A machine slot the server forged for the rekey (escrow sealed by an impostor, not by the
    /// owner): refused with exit 6 before anything is sent.
    @Test func rekeyRefusesAForgedMachineSlot() throws {
        let world = try HostileWorld.get()
        let slotID = SeclabID.random()
        let context = VaultContext(ownerAccountID: try SeclabID(text: world.ownerID), vaultID: try SeclabID(text: world.prodID))
        let sealed = try HPKE.sealAuth(.random(count: 32), recipient: world.ownerKey, sender: world.attacker.keys.privateKey,
                                       info: Array(Labels.machineUnwrapKey.utf8), aad: context.ownerAccountID.bytes + context.vaultID.bytes + slotID.bytes)
        let escrow = try HPKEWrap(enc: sealed.enc, ciphertext: sealed.ciphertext).text
        let proxy = try TamperingProxy(upstream: world.server.baseURL, rewrite: Attack.json("GET", "/v1/vaults/\(world.prodID)/slots") { object in
            var machines = object.list("machines")
            var forged = machines[0]
            forged["slot_id"] = slotID.text
            forged["unwrap_key_escrow"] = escrow
            machines.append(forged)
            object["machines"] = machines
        })
        defer { proxy.close() }
        let device = try world.owner.clone(server: proxy.baseURL)
        let before = device.snapshot()
        let run = try device.run(["vault", "rekey", "prod"])
        #expect(run.status == 6, "\(run.stderr)")
        #expect(run.errorLines("seclab").first?.contains("integrity check failed") == true, "\(run.stderr)")
        #expect(!proxy.exchanges.contains { $0.request.path.hasSuffix("/rekey") }, "a rekey was sent")
        #expect(device.snapshot() == before)
        Report.line("seclab vault rekey | forged machine slot | \(run.status) | \(run.errorLines("seclab").first ?? "")")
    }

    private func impersonateOwner(_ world: HostileWorld, keepPins: Bool) throws -> (Run, Device, [String: Data]) {
        let proxy = try TamperingProxy(upstream: world.server.baseURL, rewrite: Attack.json("GET", "/v1/vaults") { object in
            object["vaults"] = object.list("vaults").map { summary in
                guard summary.string("vault_id") == world.prodID else { return summary }
                return (try? world.attacker.resealed(summary, name: "prod", recipientKey: world.friendKey)) ?? summary
            }
        })
        defer { proxy.close() }
        let device = try world.friend.clone(server: proxy.baseURL, keepPins: keepPins)
        let before = device.snapshot()
        return (try device.run(Cmd.vaults), device, before)
    }
}
