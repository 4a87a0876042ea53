import Foundation
import SeclabAPI
import SeclabTestSupport
import Testing

/// Two server processes on one PostgreSQL: SRP state, sessions, throttles and revocations live
/// in the database, so replicas agree at once.
@Suite("Replicas on one PostgreSQL", .enabled(if: Engine.postgresURL != nil, Engine.postgresSkipReason))
struct ReplicaTests {
    /// Two server processes on one fresh PostgreSQL database.
    static func twoReplicas() async throws -> (ServerProcess, ServerProcess) {
        let database = try Engine.freshPostgresDatabase()
        let first = try await ServerProcess.start(.postgres, databaseURL: database)
        let second = try await ServerProcess.start(.postgres, databaseURL: database)
        return (first, second)
    }

    @Test func revocationThroughOneIsRefusedByTheOtherAtOnce() async throws {
        let (first, second) = try await Self.twoReplicas()
        defer { Task { await first.stop(); await second.stop() } }
        let one = HTTPClient(baseURL: first.baseURL), two = HTTPClient(baseURL: second.baseURL)

        // Login starts on one replica and finishes on the other? Both steps go through one
        // client here; the session made on one works on the other.
        let owner = try await one.login(try await one.registerAccount())
        let vault = try await TestVault.create(one.authorized(owner))
        #expect(try await two.authorized(owner).get("/v1/vaults").json(VaultList.self).vaults.count == 1)
        let machine = try await TestMachine.create(one.authorized(owner), vaultID: vault.vaultID)

        // Warm both replicas' credential caches.
        for client in [one, two] {
            #expect(try await client.send("POST", "/v1/machine/pull", json: MachinePullRequest(), authorization: machine.header).status == 200)
        }
        #expect(try await one.authorized(owner).send("DELETE", "/v1/vaults/\(vault.vaultID)/machines/\(machine.slotID)").status == 204)
        // The other replica's cache still holds the credential, but the database check refuses it.
        let refused = try await two.send("POST", "/v1/machine/pull", json: MachinePullRequest(), authorization: machine.header)
        #expect(refused.status == 401)
        #expect(await first.stop() == 0)
        #expect(await second.stop() == 0)
    }

    /// Each replica caches the encoded items of its pulls per vault revision; a write through
    /// one replica must be what the other serves on its very next pull.
    @Test func aWriteThroughOneIsPulledFromTheOtherAtOnce() async throws {
        let (first, second) = try await Self.twoReplicas()
        defer { Task { await first.stop(); await second.stop() } }
        let one = HTTPClient(baseURL: first.baseURL), two = HTTPClient(baseURL: second.baseURL)
        let owner = try await one.login(try await one.registerAccount())
        let ownerAPI = one.authorized(owner)
        let vault = try await TestVault.create(ownerAPI)
        let machine = try await TestMachine.create(ownerAPI, vaultID: vault.vaultID)
        func pulled() async throws -> [String: String] {
            let response = try await two.send("POST", "/v1/machine/pull", json: MachinePullRequest(), authorization: machine.header)
            #expect(response.status == 200, "\(response.text)")
            return Dictionary(uniqueKeysWithValues: try response.json(MachinePullResponse.self).items.map { ($0.keyRef, $0.encValue) })
        }
        let refs = (0..<2).map { _ in Fake.b64u(32) }
        #expect(try await ownerAPI.send("PUT", "/v1/vaults/\(vault.vaultID)/items/\(refs[0])", json: Scenarios.item("a", "1")).status == 200)
        let before = try await pulled()
        #expect(Set(before.keys) == [refs[0]])
        #expect(try await pulled() == before, "a repeated pull (served from the cache) answers the same")

        #expect(try await ownerAPI.send("PUT", "/v1/vaults/\(vault.vaultID)/items/\(refs[1])", json: Scenarios.item("b", "2")).status == 200)
        #expect(Set(try await pulled().keys) == Set(refs))
        let overwrite = Scenarios.item("a", "changed")
        #expect(try await ownerAPI.send("PUT", "/v1/vaults/\(vault.vaultID)/items/\(refs[0])", json: overwrite).status == 200)
        #expect(try await pulled()[refs[0]] == overwrite.encValue)
        #expect(try await ownerAPI.send("DELETE", "/v1/vaults/\(vault.vaultID)/items/\(refs[1])").status == 204)
        #expect(Set(try await pulled().keys) == [refs[0]])
        #expect(await first.stop() == 0)
        #expect(await second.stop() == 0)
    }

    @Test func twoReplicasMigrateTheSameDatabaseTogether() async throws {
        let database = try Engine.freshPostgresDatabase()
        async let a = ServerProcess.start(.postgres, databaseURL: database)
        async let b = ServerProcess.start(.postgres, databaseURL: database)
        let (first, second) = try await (a, b)
        #expect(try await HTTPClient(baseURL: first.baseURL).get("/readyz").status == 200)
        #expect(try await HTTPClient(baseURL: second.baseURL).get("/readyz").status == 200)
        #expect(await first.stop() == 0)
        #expect(await second.stop() == 0)
    }
}
