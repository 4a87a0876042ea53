import Foundation
import SeclabAPI
import Testing

/// The conditional pull of `seclab-run --watch`, on both engines: an unchanged
/// vault answers `{"revision":N,"unchanged":true}` with no audit row and a /metrics count; a
/// change answers in full (audited) with the new revision; a revoked slot gets 401.
enum ConditionalPullScenario {
    static func run(_ engine: Engine) async throws {
        try await Scenarios.withServer(engine) { _, anonymous in
            let owner = try await anonymous.login(try await anonymous.registerAccount())
            let ownerAPI = anonymous.authorized(owner)
            let vault = try await TestVault.create(ownerAPI)
            let ref = Fake.b64u(32)
            #expect(try await ownerAPI.send("PUT", "/v1/vaults/\(vault.vaultID)/items/\(ref)", json: Scenarios.item("A", "1")).status == 200)
            let machine = try await TestMachine.create(ownerAPI, vaultID: vault.vaultID)
            func pull(_ body: String) async throws -> HTTPResult {
                try await anonymous.send("POST", "/v1/machine/pull", body: Data(body.utf8), authorization: machine.header)
            }
            func pullRows() async throws -> Int {
                try await ownerAPI.get("/v1/vaults/\(vault.vaultID)/audit").json(AuditList.self).events.filter { $0.action == "machine.pull" }.count
            }
            // The unconditional answer has no revision (byte-compatible with older clients).
            let plain = try await pull("{}")
            #expect(plain.status == 200 && !plain.text.contains("\"revision\""))
            let first = try await pull(#"{"if_revision":-1}"#)
            let full = try first.json(MachinePullResponse.self)
            let revision = try #require(full.revision)
            #expect(full.items.map(\.keyRef) == [ref])
            let rowsBefore = try await pullRows()
            for _ in 0..<5 {
                let poll = try await pull(#"{"if_revision":\#(revision)}"#)
                #expect(poll.status == 200 && poll.text == #"{"revision":\#(revision),"unchanged":true}"#, "\(poll.text)")
            }
            #expect(try await pullRows() == rowsBefore, "an unchanged poll writes no audit row")
            let metrics = try await anonymous.get("/metrics").text
            #expect(metrics.contains(#"seclab_machine_polls_total{result="unchanged"} 5"#), "\(metrics.split(separator: "\n").filter { $0.contains("polls") })")
            // A change: the full answer, audited, with a newer revision.
            #expect(try await ownerAPI.send("PUT", "/v1/vaults/\(vault.vaultID)/items/\(Fake.b64u(32))", json: Scenarios.item("B", "2")).status == 200)
            let changed = try await pull(#"{"if_revision":\#(revision)}"#).json(MachinePullResponse.self)
            #expect(changed.items.count == 2 && (changed.revision ?? 0) > revision)
            #expect(try await pullRows() == rowsBefore + 1)
            // Bad input and revocation.
            #expect(try await pull(#"{"if_revision":-5}"#).status == 400)
            #expect(try await pull(#"{"if_revision":"1"}"#).status == 400)
            #expect(try await ownerAPI.send("DELETE", "/v1/vaults/\(vault.vaultID)/machines/\(machine.slotID)").status == 204)
            #expect(try await pull(#"{"if_revision":\#(changed.revision ?? 0)}"#).status == 401)
        }
    }
}

@Suite("Conditional pull on SQLite")
struct SQLiteConditionalPullTests {
    @Test func conditionalPull() async throws { try await ConditionalPullScenario.run(.sqlite) }
}

@Suite("Conditional pull on PostgreSQL", .enabled(if: Engine.postgresURL != nil, Engine.postgresSkipReason))
struct PostgresConditionalPullTests {
    @Test func conditionalPull() async throws { try await ConditionalPullScenario.run(.postgres) }
}
