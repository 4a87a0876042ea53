import Foundation
import SeclabFormat
import SeclabHTTP
import SeclabKeys
import SeclabPrimitives
import SeclabTestSupport
import Testing

/// Online guessing against a real server from one address.
///
/// What is measured, from the server's own `/metrics` and database:
/// * Argon2id runs = machine-credential cache misses (`seclab_credential_cache_total{result="miss"}`
///   is counted right before the verification is queued; a miss can only skip Argon2id by
///   answering 503, which the test would see);
/// * SRP modular exponentiations = `srp/start` answered 200 (B = kv + g^b) plus `srp/finish`
///   answered 401 after a real login (the verification); a 429 is answered before either.
extension Resilience {
    @Suite struct BruteForce {
        /// A wrong `Authorization: Machine` for `slotID`: the real slot, 32 random bytes.
        static func wrongMachineHeader(_ slotID: String) -> (name: String, value: String) {
            ("Authorization", "Machine \(slotID).\(Base64URL.encode(randomBytes(count: 32)))")
        }

        struct Tally {
            var statuses: [Int: Int] = [:]
            var seconds: [Int: [Double]] = [:]
            mutating func add(_ response: HTTPResponse, _ elapsed: Double) {
                statuses[response.status, default: 0] += 1
                seconds[response.status, default: []].append(elapsed)
            }
            func mean(_ status: Int) -> String {
                let values = seconds[status] ?? []
                return values.isEmpty ? "-" : String(format: "%.1f ms", values.reduce(0, +) / Double(values.count) * 1000)
            }
        }

        struct Guesses {
            let tally: Tally
            let seconds: Double
            let metrics: Metrics
            var argon2Runs: Int { Int(metrics.value("seclab_credential_cache_total", #"result="miss""#)) }
            var summary: String {
                "\(tally.statuses.values.reduce(0, +)) wrong secrets in \(String(format: "%.1f", seconds)) s: 401 × \(tally.statuses[401] ?? 0) (mean \(tally.mean(401))), 429 × \(tally.statuses[429] ?? 0) (mean \(tally.mean(429))), Argon2id runs \(argon2Runs)"
            }
        }

        /// `count` wrong secrets for `slotID` from `workers` parallel clients.
        static func guess(_ server: ServerProcess, slotID: String, count: Int, workers: Int) throws -> Guesses {
            let before = try server.metrics()
            let started = Date()
            let tallies = Locked(Tally())
            let pull = server.baseURL + "/v1/machine/pull"
            concurrently(workers) { worker in
                guard let client = try? HTTP.client() else { return }
                var tally = Tally()
                for _ in stride(from: worker, to: count, by: workers) {
                    let sent = Date()
                    guard let response = try? HTTP.request("POST", pull, headers: [Self.wrongMachineHeader(slotID)], body: "{}", client: client) else { continue }
                    tally.add(response, Date().timeIntervalSince(sent))
                }
                tallies.withLock { all in
                    for (status, count) in tally.statuses { all.statuses[status, default: 0] += count }
                    for (status, values) in tally.seconds { all.seconds[status, default: []] += values }
                }
            }
            let seconds = Date().timeIntervalSince(started)
            return Guesses(tally: tallies.withLock { $0 }, seconds: seconds, metrics: try server.metrics() - before)
        }

        @Test func guessesAreThrottledBeforeArgon2idAndModexpAuditedBoundedAndTheOwnerGetsBackIn() throws {
            let vault = try TokenVault(vault: "prod", token: "tok_live_bruteforce_4c1e")
            let (server, owner, credential) = (vault.server, vault.owner, vault.credential)
            let slotID = try MachineCredential(text: credential).slotID.text
            let pull = server.baseURL + "/v1/machine/pull"
            let startMemory = server.memory()

            // 200 wrong secrets for a second slot, 8 at a time (parallel CI jobs): the throttle
            // check and the failure count are not one atomic step, so requests already in
            // flight when the block starts still cost one Argon2id run each.
            let other = try MachineCredential(text: try owner.mintCredential("prod", name: "ci-other")).slotID.text
            let burst = try Self.guess(server, slotID: other, count: 200, workers: 8)
            print("brute force, machine, 8 in parallel: \(burst.summary)")
            #expect(burst.argon2Runs == burst.tally.statuses[401] ?? 0)
            #expect(burst.argon2Runs <= 5 + 2 * 8, "Argon2id ran \(burst.argon2Runs) times for 200 parallel guesses")

            // 1,000 wrong secrets for the real slot, one after the other.
            let guesses = try Self.guess(server, slotID: slotID, count: 1000, workers: 1)
            let machine = guesses.tally
            let machine401 = machine.statuses[401] ?? 0, machine429 = machine.statuses[429] ?? 0
            print("brute force, machine: \(guesses.summary)")
            #expect(machine401 + machine429 == 1000, "only 401 and 429 expected: \(machine.statuses)")
            // Each 401 cost exactly one Argon2id run and each 429 none.
            #expect(guesses.argon2Runs == machine401)
            #expect(Int(guesses.metrics.value("seclab_throttled_total", #"kind="machine""#)) == machine429)
            #expect(Int(guesses.metrics.value("seclab_auth_failures_total", #"kind="machine""#)) == machine401)
            // 5 free failures, then one more per expired window (1, 2, 4, 8 s …).
            #expect(machine401 <= 5 + 6, "Argon2id ran \(machine401) times for 1,000 guesses")

            // Every wrong secret for a real slot left an audit row in the owner's vault log;
            // throttled ones are counted per window in the table.
            let rows = try owner.ok(["audit", "prod", "--json", "--all"])
            let events = (try JSONSerialization.jsonObject(with: Data(rows.utf8)) as? [[String: Any]]) ?? []
            let failedRows = events.filter { $0["action"] as? String == "auth.machine" && $0["outcome"] as? String == "failed" }.count
            let failed401 = machine401 + (burst.tally.statuses[401] ?? 0)
            #expect(failedRows == failed401, "owner sees \(failedRows) failed machine authentications, server answered \(failed401) × 401")
            let database = try #require(server.sqlitePath)
            // Throttled requests are counted, one row per window, not one row each;
            // the window still open is written later, so the rows so far hold at most the 429s.
            let throttledRows = Int(try sqlite3(database, "SELECT count(*) FROM audit_events WHERE action = 'auth.machine' AND outcome = 'throttled' AND slot_id = '\(slotID)'")) ?? -1
            let throttledCount = Int(try sqlite3(database, "SELECT COALESCE(SUM(occurrences), 0) FROM audit_events WHERE action = 'auth.machine' AND outcome = 'throttled' AND slot_id = '\(slotID)'")) ?? -1
            #expect(throttledRows >= 0 && throttledRows <= 12, "\(throttledRows) rows for \(machine429) throttled requests")
            #expect(throttledCount >= 0 && throttledCount <= machine429)

            // 200 wrong SRP proofs for the owner's e-mail: A = 2 (a valid public value), a random proof.
            let srpBefore = try server.metrics()
            let client = try HTTP.client()
            let clientPublic = Base64URL.encode([UInt8](repeating: 0, count: 511) + [2])
            var starts = Tally(), finishes = Tally()
            let srpStart = Date()
            for _ in 0..<200 {
                var started = Date()
                let start = try HTTP.request("POST", server.baseURL + "/v1/auth/srp/start",
                                             body: #"{"email":"\#(owner.email)","client_public":"\#(clientPublic)"}"#, client: client)
                starts.add(start, Date().timeIntervalSince(started))
                guard start.status == 200,
                      let object = try JSONSerialization.jsonObject(with: Data(start.body)) as? [String: Any],
                      let loginID = object["login_id"] as? String else { continue }
                started = Date()
                let finish = try HTTP.request("POST", server.baseURL + "/v1/auth/srp/finish",
                                              body: #"{"login_id":"\#(loginID)","client_proof":"\#(Base64URL.encode(randomBytes(count: 32)))"}"#, client: client)
                finishes.add(finish, Date().timeIntervalSince(started))
            }
            let srp = try server.metrics() - srpBefore
            let modexps = (starts.statuses[200] ?? 0) + (finishes.statuses[401] ?? 0)
            print("brute force, SRP: 200 wrong proofs in \(seconds(since: srpStart)) s: start 200 × \(starts.statuses[200] ?? 0) (mean \(starts.mean(200))), 429 × \(starts.statuses[429] ?? 0) (mean \(starts.mean(429))); finish 401 × \(finishes.statuses[401] ?? 0), 429 × \(finishes.statuses[429] ?? 0); modexp runs \(modexps)")
            #expect(Set(starts.statuses.keys).isSubset(of: [200, 429]), "\(starts.statuses)")
            #expect(Set(finishes.statuses.keys).isSubset(of: [401, 429]), "\(finishes.statuses)")
            #expect(modexps <= 2 * (5 + 6), "SRP ran \(modexps) modular exponentiations for 200 guesses")
            #expect(Int(srp.value("seclab_throttled_total", #"kind="srp""#)) == (starts.statuses[429] ?? 0) + (finishes.statuses[429] ?? 0))
            #expect(Int(srp.value("seclab_auth_failures_total", #"kind="srp""#)) == finishes.statuses[401] ?? 0)
            let srpFailedRows = Int(try sqlite3(database, "SELECT count(*) FROM audit_events WHERE action = 'auth.srp' AND outcome = 'failed'")) ?? -1
            #expect(srpFailedRows == finishes.statuses[401] ?? 0)

            // Memory stayed bounded: Argon2id runs two at a time whatever the flood.
            let endMemory = server.memory()
            print("brute force, server memory: VmHWM \(startMemory.peakKiB / 1024) MiB before, \(endMemory.peakKiB / 1024) MiB after; VmRSS \(endMemory.currentKiB / 1024) MiB")
            #expect(endMemory.peakKiB > 0 && endMemory.peakKiB - startMemory.peakKiB < 96 * 1024)

            // After the window the legitimate credential and passphrase work again. (During it
            // they are refused like any guess: the block is on the slot and the account.)
            let secret = try MachineCredential(text: credential).authSecret.text
            let legitHeader = ("Authorization", "Machine \(slotID).\(secret)")
            let first = try HTTP.request("POST", pull, headers: [legitHeader], body: "{}")
            let wait = first.status == 429 ? Int(first.headers["retry-after"] ?? "1") ?? 1 : 0
            #expect(first.status == 200 || first.status == 429)
            if wait > 0 { usleep(UInt32(wait) * 1_000_000 + 200_000) }
            #expect(try HTTP.request("POST", pull, headers: [legitHeader], body: "{}").status == 200)
            let legit = try Spawn.run(try Binaries.url(named: "seclab-run").path, ["--", "/bin/true"],
                                      environment: ["SECLAB_MACHINE_KEY": credential, "SECLAB_SERVER": server.baseURL, "PATH": "/usr/bin:/bin"])
            #expect(legit.status == 0)
            // The account's window: ask once (a 429 says how long), wait it out, log in.
            let probe = try HTTP.request("POST", server.baseURL + "/v1/auth/srp/start",
                                         body: #"{"email":"\#(owner.email)","client_public":"\#(clientPublic)"}"#)
            let accountWait = probe.status == 429 ? Int(probe.headers["retry-after"] ?? "1") ?? 1 : 0
            if accountWait > 0 { usleep(UInt32(accountWait) * 1_000_000 + 200_000) }
            let login = try owner.loginFresh(passphrase: owner.passphrase)
            #expect(login.status == 0, "\(login.stderr)")
            print("brute force: legitimate credential accepted after waiting \(wait) s, passphrase after \(accountWait) s")
        }
    }
}
