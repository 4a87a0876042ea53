import Foundation
import SeclabAPI
import SeclabPrimitives
import Testing

/// Any account could grow the server's memory without bound (a 252 MB rekey body:
/// 95 → 798 MB RSS; six lists of a 210 MB vault: 1.6 GB). Now bodies have per-route limits,
/// vaults a size limit, and the heavy routes a concurrency limit; peak RSS (VmHWM) is measured.
@Suite("Abuse: memory (SQLite)")
struct MemoryTests {
    /// Three concurrent oversized rekey bodies (96 MiB each) are refused at the rekey limit,
    /// one at a time; the server's peak memory grows by far less than one body.
    @Test func oversizedRekeyBodiesAreRefusedWithinBoundedMemory() async throws {
        try await Abuse.withServer(.sqlite) { server, anonymous in
            let owner = try await anonymous.login(try await anonymous.registerAccount())
            let vault = try await TestVault.create(anonymous.authorized(owner))
            let before = Abuse.memory(server)
            let body = Data(count: 96 << 20)
            let results = await withTaskGroup(of: HTTPResult.self) { group in
                for _ in 0..<3 {
                    group.addTask {
                        await Abuse.send(anonymous.baseURL, "POST", "/v1/vaults/\(vault.vaultID)/rekey", body: body,
                                         headers: ["Authorization": "Bearer \(owner.token!)"])
                    }
                }
                var all: [HTTPResult] = []
                for await result in group { all.append(result) }
                return all
            }
            let after = Abuse.memory(server)
            let statuses = Abuse.tally(results)
            print("memory, 3 × 96 MiB rekey bodies: \(statuses); VmHWM \(before.peakKiB / 1024) → \(after.peakKiB / 1024) MiB, VmRSS now \(after.currentKiB / 1024) MiB")
            // 413, or a closed connection when the server stops reading at the limit.
            #expect(Set(statuses.keys).isSubset(of: [413, 0]), "\(statuses)")
            #expect(after.peakKiB - before.peakKiB < 160 * 1024, "peak grew by \((after.peakKiB - before.peakKiB) / 1024) MiB")
            // The owner keeps working.
            #expect(try await anonymous.authorized(owner).get("/v1/vaults").status == 200)
        }
    }

    /// The vault size limit, by items and by bytes, answers 409 `vault_limit` naming the limit.
    @Test func vaultSizeLimitNamesTheLimit() async throws {
        try await Abuse.withServer(.sqlite, arguments: ["--vault-max-items", "3", "--vault-max-bytes", "6000"]) { _, anonymous in
            let owner = try await anonymous.login(try await anonymous.registerAccount())
            let api = anonymous.authorized(owner)
            let vault = try await TestVault.create(api)
            let refs = (0..<4).map { _ in Fake.b64u(32) }
            for ref in refs.prefix(3) {
                #expect(try await api.send("PUT", "/v1/vaults/\(vault.vaultID)/items/\(ref)", json: Scenarios.item("n", "v")).status == 200)
            }
            let fourth = try await api.send("PUT", "/v1/vaults/\(vault.vaultID)/items/\(refs[3])", json: Scenarios.item("n", "v"))
            #expect(fourth.status == 409 && fourth.errorCode == "vault_limit", "\(fourth.status) \(fourth.text)")
            #expect(fourth.text.contains("at most 3 items") && fourth.text.contains("--vault-max-items"))
            // Replacing an item is not a new item; growing it past the byte limit is refused.
            #expect(try await api.send("PUT", "/v1/vaults/\(vault.vaultID)/items/\(refs[0])", json: Scenarios.item("n", "w")).status == 200)
            let big = PutItemRequest(encName: Fake.aead("n"), encValue: Fake.aead(bytes: 6000))
            let tooBig = try await api.send("PUT", "/v1/vaults/\(vault.vaultID)/items/\(refs[0])", json: big)
            #expect(tooBig.status == 409 && tooBig.text.contains("--vault-max-bytes"), "\(tooBig.status) \(tooBig.text)")
            // A rekey cannot bring in more items than the limit either.
            let rekey = RekeyRequest(encName: Fake.aead("v"), wrappedIndexKey: Fake.aead(bytes: 32),
                                     slots: [RekeySlot(slotID: vault.ownerSlotID, wrappedVK: Fake.hpke())],
                                     items: refs.map { RekeyItem(keyRef: $0, encName: Fake.aead("n"), encValue: Fake.aead("v")) })
            let rekeyed = try await api.send("POST", "/v1/vaults/\(vault.vaultID)/rekey", json: rekey)
            #expect(rekeyed.status == 409 && rekeyed.errorCode == "vault_limit", "\(rekeyed.status) \(rekeyed.text)")
            let list = try await api.get("/v1/vaults/\(vault.vaultID)/items").json(ItemList.self)
            #expect(list.items.count == 3)
        }
    }

    /// Many concurrent whole-vault reads of a big vault: at most `SECLAB_HEAVY_READ_CONCURRENCY`
    /// hold it in memory at once, every reader gets the whole vault.
    @Test func concurrentListsOfABigVaultStayBounded() async throws {
        try await Abuse.withServer(.sqlite, environment: ["SECLAB_HEAVY_READ_CONCURRENCY": "2"]) { server, anonymous in
            let owner = try await anonymous.login(try await anonymous.registerAccount())
            let api = anonymous.authorized(owner)
            let vault = try await TestVault.create(api)
            for _ in 0..<12 {
                let put = try await api.send("PUT", "/v1/vaults/\(vault.vaultID)/items/\(Fake.b64u(32))",
                                             json: PutItemRequest(encName: Fake.aead("n"), encValue: Fake.aead(bytes: 1 << 20)))
                #expect(put.status == 200)
            }
            let before = Abuse.memory(server)
            let counts = try await withThrowingTaskGroup(of: Int.self) { group in
                for _ in 0..<8 {
                    group.addTask { try await api.get("/v1/vaults/\(vault.vaultID)/items").json(ItemList.self).items.count }
                }
                var all: [Int] = []
                for try await count in group { all.append(count) }
                return all
            }
            let after = Abuse.memory(server)
            print("memory, 8 concurrent lists of a 16 MiB vault (2 at once): VmHWM \(before.peakKiB / 1024) → \(after.peakKiB / 1024) MiB")
            #expect(counts == Array(repeating: 12, count: 8))
            #expect(after.peakKiB - before.peakKiB < 200 * 1024, "peak grew by \((after.peakKiB - before.peakKiB) / 1024) MiB")
        }
    }
}
