import Foundation
import SeclabAPI
import Testing

/// Two server processes on one PostgreSQL: SRP state, sessions, throttles and revocations live
/// in the database, so replicas agree at once (issue 3 §4).
@Suite("Replicas on one PostgreSQL", .enabled(if: Engine.postgresURL != nil, Engine.postgresSkipReason))
struct ReplicaTests {
    @Test func revocationThroughOneIsRefusedByTheOtherAtOnce() async throws {
        let database = try Engine.freshPostgresDatabase()
        let first = try await ServerProcess.start(.postgres, databaseURL: database)
        let second = try await ServerProcess.start(.postgres, databaseURL: database)
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
