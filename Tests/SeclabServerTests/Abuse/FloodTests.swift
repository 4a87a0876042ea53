import Foundation
import SeclabAPI
import SeclabPrimitives
import Testing

/// Unauthenticated floods are bounded: audit rows are counted per window, not
/// written per request; registration and `srp/start` have rates; unknown machine slots cost
/// no Argon2id and a real first pull still succeeds during such a flood. Each flood is a few
/// hundred requests to 127.0.0.1 (a few seconds at most).
@Suite("Abuse: floods (SQLite)")
struct FloodTests {
    @Test func badCredentialsWriteCountedRowsNotOneRowPerRequest() async throws {
        try await Abuse.withServer(.sqlite) { server, anonymous in
            let base = anonymous.baseURL
            let rowsBefore = try Abuse.count(server, "SELECT COUNT(*) FROM audit_events")
            let started = Date()
            var results: [HTTPResult] = []
            for index in 0..<300 {
                let header = switch index % 3 {
                case 0: "Bearer not-a-token"
                case 1: "Bearer \(Fake.b64u(32))"  // well formed, no such session
                default: "Machine garbage"
                }
                let path = index % 3 == 2 ? "/v1/machine/pull" : "/v1/vaults"
                results.append(await Abuse.send(base, index % 3 == 2 ? "POST" : "GET", path, body: index % 3 == 2 ? Data("{}".utf8) : nil,
                                                headers: ["Authorization": header]))
            }
            let statuses = Abuse.tally(results)
            #expect(Set(statuses.keys).isSubset(of: [401, 429]), "\(statuses)")
            #expect((statuses[429] ?? 0) > 0, "the address's failure rate must run out: \(statuses)")
            let seconds = Int(Date().timeIntervalSince(started).rounded(.up))
            try await Task.sleep(for: .milliseconds(2500))  // two audit windows
            let rows = try Abuse.count(server, "SELECT COUNT(*) FROM audit_events") - rowsBefore
            let counted = try Abuse.count(server, "SELECT SUM(occurrences) FROM audit_events WHERE action IN ('auth.session', 'auth.machine')")
            print("flood, bad credentials: 300 requests in \(seconds) s → \(statuses), \(rows) audit rows standing for \(counted) events")
            // One row per kind (session/machine × failed/limited) per 1 s window, whatever the rate.
            #expect(rows <= 4 * (seconds + 2), "300 bad credentials in \(seconds) s wrote \(rows) audit rows")
            #expect(counted == 300, "every refused request is counted once: \(counted)")
        }
    }

    @Test func registrationAndSRPStartAreRateLimited() async throws {
        try await Abuse.withServer(.sqlite) { server, anonymous in
            let base = anonymous.baseURL
            var registrations: [HTTPResult] = []
            let registrationStart = Date()
            for _ in 0..<60 {
                let body = RegisterAccountRequest(accountID: Fake.id(), email: "flood-\(UUID().uuidString.prefix(8).lowercased())@example.test",
                                                  kdfProfile: "p1", saltAUK: Fake.b64u(16), saltSRP: Fake.b64u(16), srpVerifier: Fake.b64u(512),
                                                  publicKey: Fake.b64u(32), encPrivateKey: Fake.aead(bytes: 32))
                registrations.append(await Abuse.send(base, "POST", "/v1/accounts", body: Abuse.json(body)))
            }
            let registered = Abuse.tally(registrations)
            #expect(Set(registered.keys).isSubset(of: [201, 429]), "\(registered)")
            // The bucket holds 30 and refills 0.2 per second: what a slow machine adds while the
            // loop runs is allowed, nothing more.
            let refilled = Int(Date().timeIntervalSince(registrationStart) * 0.2) + 1
            #expect((registered[201] ?? 0) <= 30 + refilled && (registered[429] ?? 0) >= 30 - refilled, "\(registered)")
            let accounts = try Abuse.count(server, "SELECT COUNT(*) FROM accounts")
            #expect(accounts <= 30 + refilled)

            var starts: [HTTPResult] = []
            let startsBegan = Date()
            for _ in 0..<120 {
                starts.append(await Abuse.send(base, "POST", "/v1/auth/srp/start",
                                               body: Abuse.json(SRPStartRequest(email: "nobody@example.test", clientPublic: Abuse.clientPublic))))
            }
            let started = Abuse.tally(starts)
            #expect(Set(started.keys).isSubset(of: [200, 429]), "\(started)")
            // 60 at once, then 2 per second while the loop runs (a slow machine refills more).
            let allowed = 60 + Int(Date().timeIntervalSince(startsBegan) * 2) + 2
            #expect((started[200] ?? 0) <= allowed && (started[429] ?? 0) > 0, "\(started), allowed \(allowed)")
            let logins = try Abuse.count(server, "SELECT COUNT(*) FROM srp_logins")
            #expect(logins <= allowed)
            print("flood, registration: 60 → \(registered); srp/start: 120 → \(started)")
        }
    }

    /// Unknown slot ids from rotating addresses (through a trusted proxy, as a botnet would
    /// arrive) cost no Argon2id, and a real first pull during the flood gets its items.
    @Test func unknownSlotsCostNoArgon2idAndRealPullsGoThrough() async throws {
        try await Abuse.withServer(.sqlite, arguments: ["--trusted-proxy", "127.0.0.1/32"]) { server, anonymous in
            let owner = try await anonymous.login(try await anonymous.registerAccount())
            let vault = try await TestVault.create(anonymous.authorized(owner))
            let machine = try await TestMachine.create(anonymous.authorized(owner), vaultID: vault.vaultID)
            let base = anonymous.baseURL
            let argon2Before = await Abuse.metric(base, "seclab_argon2id_verifications_total")
            let flood = Task {
                await withTaskGroup(of: [HTTPResult].self) { group in
                    for worker in 0..<4 {
                        group.addTask {
                            var out: [HTTPResult] = []
                            for index in 0..<100 {
                                out.append(await Abuse.send(base, "POST", "/v1/machine/pull", body: Data("{}".utf8), headers: [
                                    "Authorization": "Machine \(Fake.id()).\(Fake.b64u(32))",
                                    "X-Forwarded-For": "10.\(worker).\(index / 250).\(index % 250 + 1)",
                                ]))
                            }
                            return out
                        }
                    }
                    var all: [HTTPResult] = []
                    for await part in group { all += part }
                    return all
                }
            }
            let real = try await anonymous.send("POST", "/v1/machine/pull", json: MachinePullRequest(), authorization: machine.header)
            let results = await flood.value
            let statuses = Abuse.tally(results)
            let argon2Runs = await Abuse.metric(base, "seclab_argon2id_verifications_total") - argon2Before
            print("flood, unknown slots: 400 pulls from 400 addresses → \(statuses); Argon2id runs \(Int(argon2Runs)) (the one real pull: 1)")
            #expect(real.status == 200, "a real first pull during the flood: \(real.status) \(real.text)")
            #expect(Set(statuses.keys).isSubset(of: [401, 429]), "\(statuses)")
            #expect(argon2Runs <= 1, "unknown slots ran Argon2id \(argon2Runs) times")
            _ = server
        }
    }

    /// Many pulls of one credential arriving at once while it is not cached (the server's
    /// start, and again after every TTL) share one Argon2id verification: all get their items,
    /// one run is counted, the others wait for it (they used to queue one run each, which
    /// held 32 connections' pulls ~0.5 s on a 2-core machine).
    @Test func concurrentPullsOfOneCredentialShareOneVerification() async throws {
        try await Abuse.withServer(.sqlite) { server, anonymous in
            let owner = try await anonymous.login(try await anonymous.registerAccount())
            let vault = try await TestVault.create(anonymous.authorized(owner))
            let machine = try await TestMachine.create(anonymous.authorized(owner), vaultID: vault.vaultID)
            let base = anonymous.baseURL
            let argon2Before = await Abuse.metric(base, "seclab_argon2id_verifications_total")
            let results = await withTaskGroup(of: HTTPResult.self) { group in
                for _ in 0..<24 {
                    group.addTask { await Abuse.send(base, "POST", "/v1/machine/pull", body: Data("{}".utf8), headers: ["Authorization": machine.header]) }
                }
                var all: [HTTPResult] = []
                for await result in group { all.append(result) }
                return all
            }
            let argon2Runs = await Abuse.metric(base, "seclab_argon2id_verifications_total") - argon2Before
            print("24 concurrent first pulls of one credential: \(Abuse.tally(results)); Argon2id runs \(Int(argon2Runs))")
            #expect(Abuse.tally(results) == [200: 24], "\(Abuse.tally(results))")
            // One, or a few if some pulls arrived only after the first had finished and the
            // cache then answered them (they never run one of their own).
            #expect(argon2Runs >= 1 && argon2Runs <= 2, "Argon2id ran \(Int(argon2Runs)) times for one credential")
            // A wrong secret for the same slot still fails, shared or not.
            let wrong = "Machine \(machine.slotID).\(Fake.b64u(32))"
            let refused = await withTaskGroup(of: HTTPResult.self) { group in
                for _ in 0..<4 { group.addTask { await Abuse.send(base, "POST", "/v1/machine/pull", body: Data("{}".utf8), headers: ["Authorization": wrong]) } }
                var all: [HTTPResult] = []
                for await result in group { all.append(result) }
                return all
            }
            #expect(Set(Abuse.tally(refused).keys).isSubset(of: [401, 429]) && Abuse.tally(refused)[200] == nil, "\(Abuse.tally(refused))")
            _ = server
        }
    }
}
