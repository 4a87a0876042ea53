import Foundation
import SeclabTestSupport
import Testing
#if canImport(Glibc)
import Glibc
#endif

/// `kill -9` of the server in the middle of a passphrase change, a rekey of a
/// 1,000-item vault and a dotenv import; the server then starts again on the same SQLite file.
///
/// How the kill is timed: the owner's CLI talks to the server through `FaultProxy`, which
/// runs the kill a chosen delay after the whole request was written to the server. The
/// delays bisect between 0 (the server has not parsed the request yet) and twice the
/// measured handling time (the commit happened): each repetition moves the next kill
/// towards the instant where the outcome flips from old to new, so most kills land close to
/// the commit. One rekey repetition kills the moment the SQLite WAL is written to. What this
/// proves: at each of these points the database reopens in the old or the new state, and a
/// change the server acknowledged is never lost. It cannot prove that *every* instruction
/// boundary was hit; SQLite's WAL commit protocol is what makes the rest hold.
extension Resilience {
    @Suite struct Faults {
        /// The proxy policy: kill the server `delay` µs after a request matching `method path-suffix` reached it.
        static func killing(_ server: ServerProcess, method: String, pathSuffix: String, delay: UInt32, when: @escaping @Sendable () -> Void = {})
            -> @Sendable (String, String, Int) -> FaultProxy.Action {
            { requestMethod, path, _ in
                guard requestMethod == method, path.hasSuffix(pathSuffix) else { return .forward() }
                return .forward(afterSend: {
                    when()
                    if delay > 0 { usleep(delay) }
                    server.kill9()
                })
            }
        }

        /// Kill delays (µs) for `repetitions` trials: 0, `high`, then bisection on the outcome
        /// (`trial` returns true when the new state won).
        static func bisect(high: UInt32, repetitions: Int, _ trial: (UInt32) throws -> Bool) rethrows {
            var low: UInt32 = 0, high = high
            _ = try trial(low)
            _ = try trial(high)
            for _ in 0..<max(repetitions - 2, 0) {
                let middle = low + (high - low) / 2
                if try trial(middle) { high = middle } else { low = middle }
            }
        }

        static func integrityCheck(_ server: ServerProcess) throws -> String { try sqlite3(try #require(server.sqlitePath), "PRAGMA integrity_check") }

        @Test func passphraseChangeKilledMidwayOpensWithExactlyOnePassphrase() throws {
            let server = try ServerProcess()
            let proxy = try FaultProxy(upstreamPort: server.port)
            let owner = try Owner(server: proxy.baseURL)
            try owner.ok(["vault", "create", "notes"])
            let items = sampleItems(5, tag: "pp")
            #expect(try owner.importDotenv("notes", items).status == 0)
            var outcomes: [String] = []
            var rep = 0
            /// One change killed by `policy` (or by `strace` inside a write); true when the new passphrase won.
            func trial(_ label: String, policy: (@Sendable (String, String, Int) -> FaultProxy.Action)?, straceWrite: Int? = nil) throws -> Bool {
                rep += 1
                let newPassphrase = "changed passphrase number \(rep) for the kill test"
                if let policy { proxy.setPolicy(policy) }
                // strace is armed when the change itself reaches the proxy (the CLI's SRP start
                // and login writes come first), so its count is the change's commit alone.
                let strace = Locked<SyscallKill?>(nil)
                if let straceWrite {
                    let pid = server.pid
                    proxy.setPolicy { method, path, _ in
                        if method == "PUT" && path.hasSuffix("/v1/account/passphrase") {
                            let armed = try? SyscallKill(pid: pid, nth: straceWrite)
                            strace.withLock { $0 = armed }
                        }
                        return .forward()
                    }
                }
                let exchangesBefore = proxy.exchanges.count
                let change = try owner.run(["account", "change-passphrase"], extra: ["SECLAB_NEW_PASSPHRASE": newPassphrase])
                let trace = strace.withLock { $0 }?.finish() ?? ""
                if straceWrite != nil { #expect(strace.withLock { $0 } != nil, "\(label): strace was never armed") }
                // This trial's change only: an earlier trial's 204 is not this one's.
                let acknowledged = proxy.exchanges.dropFirst(exchangesBefore).last { $0.path.hasSuffix("/v1/account/passphrase") }?.status == 204
                server.kill9()
                try server.start()
                proxy.setPolicy { _, _, _ in .forward() }
                #expect(try Self.integrityCheck(server) == "ok")

                let old = try owner.loginFresh(passphrase: owner.passphrase)
                let new = try owner.loginFresh(passphrase: newPassphrase)
                // Exactly one passphrase opens the account: never both, never neither.
                #expect((old.status == 0) != (new.status == 0), "\(label): old \(old.status) \(old.stderr) new \(new.status) \(new.stderr)")
                let opened = old.status == 0 ? old : new
                let current = old.status == 0 ? owner.passphrase : newPassphrase
                // An acknowledged change is never lost.
                if acknowledged { #expect(new.status == 0, "\(label): the server acknowledged the change, then lost it") }
                let export = try owner.export("notes", device: opened.device, passphrase: current)
                #expect(export.status == 0, "\(export.stderr)")
                #expect(export.values == Dictionary(uniqueKeysWithValues: items))
                let writes = trace.split(separator: "\n").filter { $0.contains("pwrite64(") }.count
                outcomes.append("\(label): \(old.status == 0 ? "old" : "new")\(acknowledged ? " (acknowledged)" : "")\(straceWrite != nil ? " after \(writes - 1) writes" : "") cli=\(change.status)")
                owner.passphrase = current
                owner.configDir = opened.device
                return new.status == 0
            }
            try Self.bisect(high: 20_000, repetitions: 6) { delay in
                try trial(String(format: "%.2f ms", Double(delay) / 1000), policy: Self.killing(server, method: "PUT", pathSuffix: "/v1/account/passphrase", delay: delay))
            }
            // The kernel kills the server at the 3rd write of the commit (strace fault injection):
            // frames were appended to the WAL, the commit frame was not.
            if SyscallKill.available {
                let won = try trial("strace, 3rd WAL write", policy: nil, straceWrite: 3)
                #expect(!won, "a commit cut short must leave the old passphrase")
            }
            print("faults, passphrase change killed after: \(outcomes.joined(separator: "; "))")
            #expect(outcomes.contains { $0.contains(": old") } && outcomes.contains { $0.contains(": new") },
                    "the kills should land both before and after the commit")
        }

        @Test func rekeyOfAThousandItemsKilledMidwayLeavesTheOldOrTheNewVault() throws {
            let server = try ServerProcess()
            let proxy = try FaultProxy(upstreamPort: server.port)
            let owner = try Owner(server: proxy.baseURL)
            try owner.ok(["vault", "create", "big"])
            let items = sampleItems(1000, tag: "rk")
            let expected = Dictionary(uniqueKeysWithValues: items)
            #expect(try owner.importDotenv("big", items).status == 0)
            let credential = try owner.mintCredential("big")
            let database = try #require(server.sqlitePath)
            func indexKey() throws -> String { try sqlite3(database, "SELECT wrapped_index_key FROM vaults") }

            // Two complete rekeys (the first one warms up) measure how long the server takes.
            try owner.ok(["vault", "rekey", "big"])
            try owner.ok(["vault", "rekey", "big"])
            let measured = try #require(proxy.exchanges.last { $0.path.hasSuffix("/rekey") })
            let handling = (measured.answered ?? Date()).timeIntervalSince(measured.forwarded ?? Date())
            print("faults, rekey of 1,000 items: the server took \(Int(handling * 1000)) ms")

            var outcomes: [String] = []
            let walPath = database + "-wal"
            /// One rekey killed by `policy`; true when the new vault key won.
            func trial(_ label: String, straceWrite: Int? = nil, _ policy: @escaping @Sendable (String, String, Int) -> FaultProxy.Action) throws -> Bool {
                let before = try indexKey()
                proxy.setPolicy(policy)
                let strace = try straceWrite.map { try SyscallKill(pid: server.pid, nth: $0) }
                let rekey = try owner.run(["vault", "rekey", "big"])
                let trace = strace?.finish() ?? ""
                if straceWrite != nil {
                    let writes = trace.split(separator: "\n").filter { $0.contains("pwrite64(") }.count
                    print("faults, rekey: strace saw \(writes) pwrite64 calls, the last one cut by SIGKILL: \(trace.contains("killed by SIGKILL"))")
                }
                let acknowledged = proxy.exchanges.last { $0.path.hasSuffix("/rekey") }?.status == 204
                server.kill9()
                try server.start()
                proxy.setPolicy { _, _, _ in .forward() }
                #expect(try Self.integrityCheck(server) == "ok")
                let state = try indexKey() == before ? "old" : "new"
                if acknowledged { #expect(state == "new", "\(label): acknowledged rekey lost") }
                // Every item opens under the vault key now in force (a mix would fail to open).
                let export = try owner.export("big")
                #expect(export.status == 0, "\(label): \(export.stderr)")
                #expect(export.values == expected, "\(label): \(export.values.count) values")
                // The machine credential still opens the vault (its slot was re-wrapped or not, with the rest).
                let dry = try Spawn.run(try Binaries.url(named: "seclab-run").path, ["--dry-run", "--", "/bin/true"],
                                        environment: ["SECLAB_MACHINE_KEY": credential, "SECLAB_SERVER": server.baseURL, "PATH": "/usr/bin:/bin"])
                #expect(dry.status == 0)
                outcomes.append("\(label): \(state)\(acknowledged ? " (acknowledged)" : "") cli=\(rekey.status)")
                return state == "new"
            }
            try Self.bisect(high: UInt32(handling * 2_000_000), repetitions: 6) { delay in
                try trial(String(format: "%.0f ms", Double(delay) / 1000), Self.killing(server, method: "POST", pathSuffix: "/rekey", delay: delay))
            }
            // Kill the moment the WAL is written to (its mtime moves): the commit's frames.
            _ = try trial("WAL written") { method, path, _ in
                guard method == "POST", path.hasSuffix("/rekey") else { return .forward() }
                return .forward(afterSend: {
                    func stamp() -> Int { var info = stat(); return stat(walPath, &info) == 0 ? info.st_mtim.tv_sec * 1_000_000_000 + info.st_mtim.tv_nsec : 0 }
                    let start = stamp(), deadline = Date().addingTimeInterval(handling * 3 + 1)
                    while stamp() == start, Date() < deadline { usleep(50) }
                    server.kill9()
                })
            }
            // The kernel kills the server at the 9th write of the rekey's commit (about 4 of its
            // ~100 WAL frames written): the commit frame never reached the file.
            if SyscallKill.available {
                let won = try trial("strace, 9th WAL write", straceWrite: 9) { _, _, _ in .forward() }
                #expect(!won, "a commit cut short must leave the old vault")
            }
            print("faults, rekey killed at: \(outcomes.joined(separator: "; "))")
            #expect(outcomes.contains { $0.contains(": old") } && outcomes.contains { $0.contains(": new") })
        }

        @Test func importKilledMidwayKeepsEveryItemWholeAndResumes() throws {
            let server = try ServerProcess()
            let proxy = try FaultProxy(upstreamPort: server.port)
            let owner = try Owner(server: proxy.baseURL)
            try owner.ok(["vault", "create", "imp"])
            let old = sampleItems(100, tag: "old")
            #expect(try owner.importDotenv("imp", old).status == 0)
            let new = sampleItems(200, tag: "new")
            var outcomes: [String] = []
            for (rep, killAt) in [1, 37, 150].enumerated() {
                // Kill while the killAt-th PUT of this import is in the server's hands.
                let seen = Locked(0)
                proxy.setPolicy { method, path, _ in
                    guard method == "PUT", path.contains("/items/") else { return .forward() }
                    let count = seen.withLock { (value: inout Int) -> Int in value += 1; return value }
                    return count == killAt ? .forward(afterSend: { usleep(UInt32(rep) * 700); server.kill9() }) : .forward()
                }
                let run = try owner.importDotenv("imp", new.map { ($0.0, $0.1.replacingOccurrences(of: "new", with: "new\(rep)")) })
                #expect(run.status != 0, "the import should have failed when the server died")
                server.kill9()
                try server.start()
                proxy.setPolicy { _, _, _ in .forward() }
                #expect(try Self.integrityCheck(server) == "ok")
                let export = try owner.export("imp")
                #expect(export.status == 0, "\(export.stderr)")
                // Each item is whole: the value of this import, of an earlier one, or (K0101…) absent.
                var fromThisImport = 0
                for (name, value) in export.values {
                    let number = name.dropFirst()
                    let allowed = ["value-\(number)-new\(rep)", "value-\(number)-old"] + (0..<rep).map { "value-\(number)-new\($0)" }
                    #expect(allowed.contains(value), "rep \(rep): \(name) holds an unexpected value")
                    if value.hasSuffix("new\(rep)") { fromThisImport += 1 }
                }
                // The CLI sends in file order: the items before the killed one all landed.
                #expect(fromThisImport >= killAt - 1 && fromThisImport <= killAt, "rep \(rep): \(fromThisImport) items of this import for a kill at #\(killAt)")
                outcomes.append("kill at PUT #\(killAt): \(fromThisImport) of 200 landed, cli=\(run.status)")
            }
            // Running the import again finishes the job: PUTs are idempotent.
            let final = new.map { ($0.0, $0.1 + "-final") }
            #expect(try owner.importDotenv("imp", final).status == 0)
            #expect(try owner.export("imp").values == Dictionary(uniqueKeysWithValues: final))
            print("faults, import: \(outcomes.joined(separator: "; ")); a second import completed")
        }
    }
}
