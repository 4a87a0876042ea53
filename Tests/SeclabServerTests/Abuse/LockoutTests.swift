import Foundation
import SeclabAPI
import SeclabPrimitives
import Testing

/// Nobody can lock an address, another account or another slot out with their
/// own failures; a block is not extended while it lasts; a success clears its counters;
/// forwarding headers count only from trusted proxies; IPv6 clients count per /64.
enum LockoutScenarios {
    /// 80 `srp/finish` with made-up login ids from one address used to block that address's
    /// logins and pulls for up to 15 minutes. Now: the victim logs in and the machine pulls.
    static func badFinishesLockNobodyOut(_ engine: Engine) async throws {
        try await Abuse.withServer(engine) { _, anonymous in
            let owner = try await anonymous.login(try await anonymous.registerAccount())
            let vault = try await TestVault.create(anonymous.authorized(owner))
            let machine = try await TestMachine.create(anonymous.authorized(owner), vaultID: vault.vaultID)
            let victim = try await anonymous.registerAccount()
            var results: [HTTPResult] = []
            for _ in 0..<80 {
                results.append(await Abuse.send(anonymous.baseURL, "POST", "/v1/auth/srp/finish",
                                                body: Abuse.json(SRPFinishRequest(loginID: Fake.id(), clientProof: Fake.b64u(32)))))
            }
            let statuses = Abuse.tally(results)
            #expect(Set(statuses.keys).isSubset(of: [401, 429]), "\(statuses)")
            // The victim's login and the machine's pull from the same address still work.
            _ = try await anonymous.login(victim)
            let pull = try await anonymous.send("POST", "/v1/machine/pull", json: MachinePullRequest(), authorization: machine.header)
            #expect(pull.status == 200, "\(pull.status) \(pull.text)")
        }
    }

    /// Wrong passphrases for one account from one address block that pair only: another
    /// account from that address and the same account from elsewhere log in; the block does
    /// not grow while requests keep coming; a success clears the counter. Forwarding headers
    /// come from `--trusted-proxy` peers only; IPv6 clients are counted per /64.
    static func failuresBlockOnlyTheirOwnPair(_ engine: Engine) async throws {
        try await Abuse.withServer(engine, arguments: ["--trusted-proxy", "127.0.0.1/32"]) { _, anonymous in
            let base = anonymous.baseURL
            let victim = try await anonymous.registerAccount()
            let bystander = try await anonymous.registerAccount()
            let attacker = ["X-Forwarded-For": "198.51.100.200, 203.0.113.7"]  // rightmost untrusted hop: 203.0.113.7
            var last = HTTPResult(status: 0, body: Data(), headers: [:])
            // Five failures are free; then the pair is blocked. Why a loop and not a fixed count:
            // the first block is 1 s, which a loaded machine can outlast between two requests
            // (then the next failure counts and doubles the block, as it should).
            var failuresBeforeBlock = 0
            for _ in 0..<12 {
                last = await Abuse.wrongLogin(base, email: victim.email, headers: attacker)
                if last.status == 429 { break }
                failuresBeforeBlock += 1
            }
            #expect(last.status == 429 && failuresBeforeBlock >= 6, "blocked after 5 free failures: \(failuresBeforeBlock) failures, then \(last.status)")
            // Wait out blocks (each further failure doubles the next) until one lasts 4 s or more,
            // long enough to send requests inside it on any machine.
            var firstWait = Int(last.headers["retry-after"] ?? "") ?? 0
            for _ in 0..<8 where firstWait < 4 {
                try await Task.sleep(for: .milliseconds(firstWait * 1000 + 100))
                last = await Abuse.wrongLogin(base, email: victim.email, headers: attacker)
                if last.status != 429 { last = await Abuse.wrongLogin(base, email: victim.email, headers: attacker) }
                if last.status == 429 { firstWait = Int(last.headers["retry-after"] ?? "") ?? 0 }
            }
            #expect(firstWait >= 4, "the block doubles with each failure after it ran out: \(firstWait)")
            // Requests while blocked do not extend the block.
            for _ in 0..<5 { last = await Abuse.wrongLogin(base, email: victim.email, headers: attacker) }
            #expect(last.status == 429)
            #expect((Int(last.headers["retry-after"] ?? "") ?? 99) <= firstWait, "block grew while blocked: \(firstWait) → \(last.headers["retry-after"] ?? "-")")
            // The same address, another identity: fine. The victim from another address: fine.
            #expect(try await Abuse.login(base, bystander, headers: attacker).status == 200)
            #expect(try await Abuse.login(base, victim, headers: ["X-Forwarded-For": "198.51.100.9"]).status == 200)
            // IPv6: the attacker's whole /64 is one client; the next /64 is another.
            for _ in 0..<7 { last = await Abuse.wrongLogin(base, email: victim.email, headers: ["X-Forwarded-For": "2001:db8:a:b::1"]) }
            #expect(last.status == 429)
            #expect(try await Abuse.login(base, victim, headers: ["X-Forwarded-For": "2001:db8:a:b::ffff"]).status == 429)
            #expect(try await Abuse.login(base, victim, headers: ["Forwarded": "for=\"[2001:db8:a:c::1]:4711\""]).status == 200)
            // A success clears the pair's counter: five more failures are free again.
            let home = ["X-Forwarded-For": "192.0.2.44"]
            for _ in 0..<5 { #expect(await Abuse.wrongLogin(base, email: victim.email, headers: home).status == 401) }
            #expect(try await Abuse.login(base, victim, headers: home).status == 200)
            for _ in 0..<5 { #expect(await Abuse.wrongLogin(base, email: victim.email, headers: home).status == 401) }
            #expect(try await Abuse.login(base, victim, headers: home).status == 200)
        }
    }

    /// Without `--trusted-proxy`, `X-Forwarded-For` is the client's own claim and ignored:
    /// an attacker cannot escape its block (or frame another address) by writing one.
    static func forwardingHeadersFromUntrustedPeersAreIgnored(_ engine: Engine) async throws {
        try await Abuse.withServer(engine) { _, anonymous in
            let victim = try await anonymous.registerAccount()
            var last = HTTPResult(status: 0, body: Data(), headers: [:])
            for index in 0..<7 {
                last = await Abuse.wrongLogin(anonymous.baseURL, email: victim.email, headers: ["X-Forwarded-For": "203.0.113.\(index)"])
            }
            #expect(last.status == 429, "rotating X-Forwarded-For must not reset the count: \(last.status)")
        }
    }

    /// Wrong secrets for one machine slot block that slot only: another slot pulls from the
    /// same address meanwhile; after the block, the right secret pulls and clears the counter.
    static func slotFailuresBlockOnlyThatSlot(_ engine: Engine) async throws {
        try await Abuse.withServer(engine) { _, anonymous in
            let owner = try await anonymous.login(try await anonymous.registerAccount())
            let ownerAPI = anonymous.authorized(owner)
            let vault = try await TestVault.create(ownerAPI)
            let target = try await TestMachine.create(ownerAPI, vaultID: vault.vaultID)
            let other = try await TestMachine.create(ownerAPI, vaultID: vault.vaultID)
            func pull(_ header: String) async throws -> HTTPResult {
                try await anonymous.send("POST", "/v1/machine/pull", json: MachinePullRequest(), authorization: header)
            }
            let last = try #require(try await anonymous.blockSlot(target.slotID).last)
            #expect(last.status == 429)
            #expect(try await pull(other.header).status == 200, "another slot from the same address must pull")
            let wait = Int(last.headers["retry-after"] ?? "1") ?? 1
            try await Task.sleep(for: .milliseconds(wait * 1000 + 300))
            #expect(try await pull(target.header).status == 200)
            for _ in 0..<5 { #expect(try await pull("Machine \(target.slotID).\(Fake.b64u(32))").status == 401) }
            #expect(try await pull(target.header).status == 200, "a success clears the slot's counter")
        }
    }
}

@Suite("Abuse: lockouts (SQLite)")
struct SQLiteLockoutTests {
    @Test func badFinishesLockNobodyOut() async throws { try await LockoutScenarios.badFinishesLockNobodyOut(.sqlite) }
    @Test func failuresBlockOnlyTheirOwnPair() async throws { try await LockoutScenarios.failuresBlockOnlyTheirOwnPair(.sqlite) }
    @Test func forwardingHeadersFromUntrustedPeersAreIgnored() async throws { try await LockoutScenarios.forwardingHeadersFromUntrustedPeersAreIgnored(.sqlite) }
    @Test func slotFailuresBlockOnlyThatSlot() async throws { try await LockoutScenarios.slotFailuresBlockOnlyThatSlot(.sqlite) }
}

@Suite("Abuse: lockouts (PostgreSQL)", .enabled(if: Engine.postgresURL != nil, Engine.postgresSkipReason))
struct PostgresLockoutTests {
    @Test func badFinishesLockNobodyOut() async throws { try await LockoutScenarios.badFinishesLockNobodyOut(.postgres) }
    @Test func failuresBlockOnlyTheirOwnPair() async throws { try await LockoutScenarios.failuresBlockOnlyTheirOwnPair(.postgres) }
    @Test func slotFailuresBlockOnlyThatSlot() async throws { try await LockoutScenarios.slotFailuresBlockOnlyThatSlot(.postgres) }
}
