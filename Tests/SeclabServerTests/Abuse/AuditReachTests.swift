import Foundation
import SeclabAPI
import SeclabPrimitives
import SeclabTestSupport
import Testing

/// A stranger's denied reads filled the 10,000-row page and hid the owner's
/// history; a pull naming 10,000 key refs wrote a 440 KB row. Now denials are counted per
/// window, rows keep a bounded prefix of key refs with their count, and the log pages with
/// an opaque cursor and filters.
enum AuditReachScenarios {
    static func deniedFloodsStayOneCountedRowAndHistoryStaysReachable(_ engine: Engine) async throws {
        try await Abuse.withServer(engine) { server, anonymous in
            let owner = try await anonymous.login(try await anonymous.registerAccount())
            let stranger = try await anonymous.login(try await anonymous.registerAccount())
            let ownerAPI = anonymous.authorized(owner), strangerAPI = anonymous.authorized(stranger)
            let vault = try await TestVault.create(ownerAPI)
            let refs = (0..<3).map { _ in Fake.b64u(32) }
            for ref in refs {
                #expect(try await ownerAPI.send("PUT", "/v1/vaults/\(vault.vaultID)/items/\(ref)", json: Scenarios.item("n", "v")).status == 200)
            }
            let started = Date()
            for _ in 0..<300 {
                #expect(try await strangerAPI.get("/v1/vaults/\(vault.vaultID)/items").status == 404)
            }
            let seconds = Int(Date().timeIntervalSince(started).rounded(.up))
            try await Task.sleep(for: .milliseconds(2500))
            // The owner's first page of 100 still shows the history, and the denials as few counted rows.
            let page = try await ownerAPI.get("/v1/vaults/\(vault.vaultID)/audit?limit=100").json(AuditList.self)
            let denied = page.events.filter { $0.outcome == "denied" }
            #expect(denied.allSatisfy { $0.actorID == stranger.accountID && $0.action == "item.list" })
            // One counted row per 1 s window (the production window is 10 s).
            #expect(denied.count <= seconds + 2 && denied.reduce(0) { $0 + ($1.count ?? 1) } == 300, "\(denied.map { $0.count ?? 1 })")
            #expect(page.events.filter { $0.action == "item.put" }.count == 3)
            #expect(page.events.contains { $0.action == "vault.create" })
            print("audit, 300 denied reads in \(seconds) s: \(denied.count) row(s), counts \(denied.map { $0.count ?? 1 }); first page \(page.events.count) rows")

            // Paging: pages of 2 walk every row exactly once, newest first.
            var seen: [AuditEvent] = [], cursor: String?
            repeat {
                let path = "/v1/vaults/\(vault.vaultID)/audit?limit=2" + (cursor.map { "&cursor=\($0)" } ?? "")
                let next = try await ownerAPI.get(path).json(AuditList.self)
                #expect(next.events.count <= 2)
                seen += next.events
                cursor = next.nextCursor
            } while cursor != nil && seen.count < 100
            #expect(seen == page.events, "paging must return the same rows as one page")
            #expect(try await ownerAPI.get("/v1/vaults/\(vault.vaultID)/audit?cursor=bogus").status == 400)

            // Filters.
            let puts = try await ownerAPI.get("/v1/vaults/\(vault.vaultID)/audit?action=item.put").json(AuditList.self)
            #expect(puts.events.count == 3 && puts.events.allSatisfy { $0.action == "item.put" })
            let byStranger = try await ownerAPI.get("/v1/vaults/\(vault.vaultID)/audit?actor=\(stranger.accountID)").json(AuditList.self)
            #expect(!byStranger.events.isEmpty && byStranger.events.allSatisfy { $0.actorID == stranger.accountID })
            let future = try await ownerAPI.get("/v1/vaults/\(vault.vaultID)/audit?since=2999-01-01T00:00:00Z").json(AuditList.self)
            #expect(future.events.isEmpty)
            #expect(try await ownerAPI.get("/v1/vaults/\(vault.vaultID)/audit?since=yesterday").status == 400)

            // A pull naming 10,000 key refs writes a bounded row that still says how many.
            let machine = try await TestMachine.create(ownerAPI, vaultID: vault.vaultID)
            let many = refs + (0..<9_997).map { _ in Fake.b64u(32) }
            let pull = try await anonymous.send("POST", "/v1/machine/pull", json: MachinePullRequest(keyRefs: many), authorization: machine.header)
            #expect(pull.status == 200, "\(pull.status) \(pull.text.prefix(200))")
            let pulls = try await ownerAPI.get("/v1/vaults/\(vault.vaultID)/audit?action=machine.pull").json(AuditList.self)
            #expect(pulls.events.count == 1)
            #expect(pulls.events.first?.keyRefs.count == 32 && pulls.events.first?.keyRefCount == 10_000)
            let longest = try Abuse.count(server, "SELECT MAX(LENGTH(key_refs)) FROM audit_events")
            print("audit, pull naming 10,000 key refs: longest key_refs column \(longest) bytes")
            #expect(longest <= 32 * 44)
        }
    }
}

@Suite("Abuse: audit reach (SQLite)")
struct SQLiteAuditReachTests {
    @Test func deniedFloodsStayOneCountedRowAndHistoryStaysReachable() async throws {
        try await AuditReachScenarios.deniedFloodsStayOneCountedRowAndHistoryStaysReachable(.sqlite)
    }
}

@Suite("Abuse: audit reach (PostgreSQL)", .enabled(if: Engine.postgresURL != nil, Engine.postgresSkipReason))
struct PostgresAuditReachTests {
    @Test func deniedFloodsStayOneCountedRowAndHistoryStaysReachable() async throws {
        try await AuditReachScenarios.deniedFloodsStayOneCountedRowAndHistoryStaysReachable(.postgres)
    }
}

/// Account enumeration and the listen address (docs/security.md).
@Suite("Abuse: enumeration and listen address")
struct EnumerationAndListenTests {
    /// Lookups need a session and are rate limited per account (60, then 1 a second).
    @Test func accountLookupsAreRateLimited() async throws {
        try await Abuse.withServer(.sqlite) { _, anonymous in
            let prober = anonymous.authorized(try await anonymous.login(try await anonymous.registerAccount()))
            var statuses: [Int: Int] = [:]
            let started = Date()
            // Until the first 429 (at most 400): on a loaded machine the bucket refills while
            // the lookups run, so a fixed count could finish without reaching the limit.
            for index in 0..<400 {
                let status = try await prober.get("/v1/accounts/lookup?email=guess\(index)%40example.test").status
                statuses[status, default: 0] += 1
                if status != 404 { break }
            }
            let seconds = Int(Date().timeIntervalSince(started).rounded(.up))
            print("enumeration, lookups by one account in \(seconds) s: \(statuses)")
            // A burst of 60, then one a second.
            #expect(Set(statuses.keys).isSubset(of: [404, 429]) && (statuses[404] ?? 0) <= 60 + seconds && (statuses[429] ?? 0) > 0, "\(statuses)")
            #expect(try await anonymous.get("/v1/accounts/lookup?email=a%40example.test").status == 401)
        }
    }

    /// A name that merely starts with `127.` is not loopback: it is resolved, and refused
    /// unless every address it resolves to is loopback.
    @Test func aLoopbackLookingNameIsResolvedNotTrusted() async throws {
        let server = try ServerProcess(engine: .sqlite, extraArguments: ["--listen", "127.example.invalid:0"])
        server.process.waitUntilExit()
        #expect(server.process.terminationStatus != 0)
        #expect(server.log().contains("refusing plain HTTP"), "\(server.log().suffix(500))")
        let localhost = try ServerProcess(engine: .sqlite, extraArguments: ["--listen", "localhost:0"])
        let deadline = Date().addingTimeInterval(60)
        while Date() < deadline, !localhost.log().contains("listening"), localhost.process.isRunning { try await Task.sleep(for: .milliseconds(50)) }
        #expect(localhost.log().contains("listening"), "localhost resolves to loopback only: \(localhost.log().suffix(500))")
        await localhost.stop()
    }

    @Test func aMalformedTrustedProxyIsRefused() async throws {
        let server = try ServerProcess(engine: .sqlite, extraArguments: ["--trusted-proxy", "10.0.0.0/33"])
        server.process.waitUntilExit()
        #expect(server.process.terminationStatus != 0)
        #expect(server.log().contains("--trusted-proxy '10.0.0.0/33'"), "\(server.log().suffix(500))")
    }
}
