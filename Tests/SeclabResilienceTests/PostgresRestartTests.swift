import Foundation
import SeclabHTTP
import SeclabTestSupport
import Testing
#if canImport(Glibc)
import Glibc
#endif

/// PostgreSQL fails under a 32-way pull load (an immediate restart,
/// a pause longer than the database deadline, its connections killed). The server keeps
/// running; every request gets an answer within the deadline plus a retry budget, and during
/// the fault that answer is the documented 503 with Retry-After; afterwards pulls succeed
/// again without a restart of the server, and no write it reported as done is lost.
///
/// Each test runs its own PostgreSQL cluster (never the shared one of SECLAB_TEST_POSTGRES_URL,
/// which other suites use at the same time).
extension Resilience {
    @Suite struct PostgresFaults {
        /// The database deadline the servers here run with (SECLAB_DB_TIMEOUT_MS).
        static let timeoutMillis = 1000
        /// The longest a pull may take during a fault: a checkout and a statement each within
        /// the deadline, a turn behind another batch of audit rows, and scheduling slack on
        /// two loaded cores.
        static let budget = 4 * Double(timeoutMillis) / 1000 + 2

        /// A private cluster, a server on it with a 1 s deadline, a vault of 20 items and a
        /// machine credential.
        final class Fixture: @unchecked Sendable {
            let cluster: PostgresCluster
            let server: ServerProcess
            let owner: Owner
            let credential: String
            let items: [(String, String)]

            init(tag: String) throws {
                cluster = try PostgresCluster()
                // The shared test clusters run with synchronous_commit = off (speed), where an
                // immediate stop may lose commits already acknowledged: the "no committed write
                // lost" check needs PostgreSQL's default durability.
                _ = try cluster.psql("ALTER SYSTEM SET synchronous_commit = on")
                _ = try cluster.psql("SELECT pg_reload_conf()")
                server = try ServerProcess(databaseURL: cluster.url, environment: ["SECLAB_DB_TIMEOUT_MS": String(PostgresFaults.timeoutMillis)])
                owner = try Owner(server: server.baseURL)
                try owner.ok(["vault", "create", "pg"])
                items = sampleItems(20, tag: tag)
                let imported = try owner.importDotenv("pg", items)
                guard imported.status == 0 else { throw TestSupportError("import failed: \(imported.stderr)") }
                credential = try owner.mintCredential("pg")
            }

            deinit {
                // A server that died mid-test leaves only its log to say why.
                if !server.isRunning {
                    let log = server.log()
                    let kept = FileManager.default.temporaryDirectory.appendingPathComponent("seclab-res-crash-\(server.pid).log")
                    try? Data(log.utf8).write(to: kept)
                    let lines = log.split(separator: "\n")
                    let first = lines.firstIndex { !$0.contains(" info ") && !$0.contains(" notice ") && !$0.contains(" warning ") } ?? max(0, lines.count - 40)
                    print("faults: the server exited (whole log kept in \(kept.path)):\n" + lines[first...].prefix(40).joined(separator: "\n"))
                }
            }

            /// After the fault: the server is the same process, `/readyz` is ready, every item
            /// and every write reported as done is there, and seclab-run works.
            func checkRecovered(pid: pid_t, writes: OwnerWrites) throws {
                #expect(server.isRunning && server.pid == pid, "the server must not need a restart")
                let ready = try HTTP.request("GET", server.baseURL + "/readyz")
                #expect(ready.status == 200, "/readyz after recovery: \(ready.status)")
                let done = writes.stop()
                let export = try owner.export("pg")
                #expect(export.status == 0, "\(export.stderr)")
                var expected = Dictionary(uniqueKeysWithValues: items)
                for write in done where write.status == 0 { expected[write.key] = write.value }
                let lost = expected.filter { export.values[$0.key] != $0.value }.map(\.key).sorted()
                #expect(lost.isEmpty, "writes reported as done but not there: \(lost)")
                let doneCount = done.filter { $0.status == 0 }.count
                print("faults, owner writes during the fault: \(doneCount) done, \(done.count - doneCount) refused; none lost: \(lost.isEmpty)")
                let run = try Spawn.run(try Binaries.url(named: "seclab-run").path, ["--", "/bin/true"],
                                        environment: ["SECLAB_MACHINE_KEY": credential, "SECLAB_SERVER": server.baseURL, "PATH": "/usr/bin:/bin"])
                #expect(run.status == 0)
            }

            /// 32 clients pulling and an owner writing items under `prefix`, warmed up: the first
            /// pulls verify the credential with Argon2id, slow on two loaded cores. The caller
            /// stops both (writes first) when the test ends.
            func loadWithWrites(prefix: String) throws -> (load: PullLoad, writes: OwnerWrites) {
                let load = try PullLoad(server: server, credential: credential, clients: 32, clientTimeout: 15)
                let writes = OwnerWrites(owner: owner, vault: "pg", prefix: prefix)
                #expect(load.waitForSuccesses(after: 0) != nil, "the pulls never succeeded before the fault")
                return (load, writes)
            }

            func metricsLine() -> String {
                guard let metrics = try? server.metrics() else { return "no metrics" }
                let checkout = metrics.value("seclab_db_timeouts_total", #"kind="checkout""#)
                let statement = metrics.value("seclab_db_timeouts_total", #"kind="statement""#)
                let discarded = metrics.values["seclab_db_discarded_connections_total"] ?? 0
                let dropped = metrics.values["seclab_db_timeouts_on_closed_connection_total"] ?? 0
                let closed = metrics.values["seclab_db_closed_before_statement_total"] ?? 0
                let reasons = metrics.values.filter { $0.key.hasPrefix("seclab_db_unavailable_total") }
                    .map { "\($0.key.dropFirst("seclab_db_unavailable_total".count))=\(Int($0.value))" }.sorted().joined(separator: " ")
                return "timeouts checkout \(Int(checkout)) statement \(Int(statement)) (on closed connections \(Int(dropped))), "
                    + "refused on closed \(Int(closed)), discarded \(Int(discarded)), 503s \(reasons)"
            }
        }

        @Test(.enabled(if: PostgresCluster.binDirectory != nil && getuid() == 0, "needs PostgreSQL installed and root (scripts/install-deps --with-postgres)"))
        func serverRecoversFromAPostgresRestartUnderLoad() throws {
            let fixture = try Fixture(tag: "restart")
            let pid = fixture.server.pid
            let (load, writes) = try fixture.loadWithWrites(prefix: "RESTART")
            defer { _ = writes.stop(); _ = load.stop() }
            try fixture.cluster.stop(mode: "immediate")
            let down = load.now
            usleep(2_000_000)
            let upCalled = load.now
            try fixture.cluster.start()
            let up = load.now
            let recovered = load.waitForSuccesses(after: up)
            let samples = load.stop()

            let before = samples.filter { $0.at + $0.seconds < down - 0.3 }
            let outage = samples.filter { $0.at > down + 0.2 && $0.at + $0.seconds < upCalled }
            let successes: [Double] = samples.filter { $0.at > up && $0.status == 200 }.map { $0.at }
            let firstSuccess: Double? = successes.min()
            let firstText = firstSuccess.map { String(format: "%.2f", $0 - up) } ?? "never"
            let outage503 = outage.filter { $0.status == 503 }.count
            print(checkPulls(samples, budget: Self.budget, recoveredAfter: recovered, label: "PostgreSQL immediate restart"))
            print("faults, PostgreSQL restart: outage \(outage.count) pulls, \(outage503) answered 503; first success \(firstText) s after PostgreSQL was up; \(fixture.metricsLine())")
            #expect(!before.isEmpty && before.allSatisfy { $0.status == 200 })
            #expect(!outage.isEmpty && outage.allSatisfy { $0.status == 503 }, "during the outage every pull answers 503")
            #expect(recovered != nil, "the server never recovered after PostgreSQL came back")
            if recovered == nil {
                print("faults, PostgreSQL restart, server log tail:\n" + fixture.server.log().split(separator: "\n").suffix(40).joined(separator: "\n"))
            }
            #expect(fixture.server.log().contains("database unavailable: "), "the server logs the reason of its 503s")
            try fixture.checkRecovered(pid: pid, writes: writes)
        }

        @Test(.enabled(if: PostgresCluster.binDirectory != nil && getuid() == 0, "needs PostgreSQL installed and root (scripts/install-deps --with-postgres)"))
        func serverAnswersWhilePostgresIsPausedAndRecoversAfterResume() throws {
            let fixture = try Fixture(tag: "pause")
            let pid = fixture.server.pid
            let (load, writes) = try fixture.loadWithWrites(prefix: "PAUSE")
            defer { _ = writes.stop(); _ = load.stop() }
            try fixture.cluster.pause(true)
            defer { try? fixture.cluster.pause(false) }
            let paused = load.now
            // Paused for more than three deadlines: statements and checkouts in flight time out.
            usleep(500_000)
            let readyStarted = Date()
            let readiness = try HTTP.request("GET", fixture.server.baseURL + "/readyz", client: try HTTP.client(timeout: 15))
            let readySeconds = Date().timeIntervalSince(readyStarted)
            usleep(UInt32(3 * Self.timeoutMillis * 1000))
            // Pulls answered after this instant may have met a resumed backend.
            let resuming = load.now
            try fixture.cluster.pause(false)
            let resumed = load.now
            let recovered = load.waitForSuccesses(after: resumed)
            let samples = load.stop()
            let readyAfter = try HTTP.request("GET", fixture.server.baseURL + "/readyz")

            let during = samples.filter { $0.at > paused + 0.1 && $0.at + $0.seconds < resuming }
            let pauseText = String(format: "%.1f", resumed - paused)
            print(checkPulls(samples, budget: Self.budget, recoveredAfter: recovered, label: "PostgreSQL paused (SIGSTOP) \(pauseText) s"))
            let readyText = "/readyz answered \(readiness.status) in \(ms(readySeconds)) ms while paused, \(readyAfter.status) after"
            print("faults, PostgreSQL pause: \(readyText); \(during.count) pulls during the pause; \(fixture.metricsLine())")
            #expect(readiness.status == 503 && readiness.headers["retry-after"] != nil, "/readyz while paused: \(readiness.status)")
            #expect(readySeconds < Double(Self.timeoutMillis) / 1000 + 0.75, "/readyz must answer within one deadline")
            #expect(readyAfter.status == 200)
            let answered = during.filter { $0.status != 503 }.map { "sent \(ms($0.at - paused)) ms after the pause, \(ms($0.seconds)) ms: \($0.status)" }
            #expect(!during.isEmpty && answered.isEmpty, "while paused every pull answers 503: \(answered.prefix(5))")
            #expect(recovered != nil, "the server never recovered after PostgreSQL resumed")
            let metrics = try fixture.server.metrics()
            #expect(metrics.value("seclab_db_timeouts_total", #"kind="statement""#) + metrics.value("seclab_db_timeouts_total", #"kind="checkout""#) > 0)
            #expect((metrics.values["seclab_db_discarded_connections_total"] ?? 0) > 0, "connections that timed out are discarded")
            #expect(metrics.value("seclab_db_unavailable_total", #"reason="timeout""#) > 0)
            try fixture.checkRecovered(pid: pid, writes: writes)
        }

        @Test(.enabled(if: PostgresCluster.binDirectory != nil && getuid() == 0, "needs PostgreSQL installed and root (scripts/install-deps --with-postgres)"))
        func serverRecoversWhenItsConnectionsAreKilled() throws {
            let fixture = try Fixture(tag: "terminate")
            let pid = fixture.server.pid
            let (load, writes) = try fixture.loadWithWrites(prefix: "KILLED")
            defer { _ = writes.stop(); _ = load.stop() }
            let first = load.now
            var killed = 0
            // Every connection killed, ten times over three seconds, mid-statement or idle.
            for _ in 0..<10 {
                killed += try fixture.cluster.terminateBackends()
                usleep(300_000)
            }
            let last = load.now
            let recovered = load.waitForSuccesses(after: last)
            let samples = load.stop()

            print(checkPulls(samples, budget: Self.budget, recoveredAfter: recovered, label: "pg_terminate_backend ×10"))
            let meanwhile = samples.filter { $0.at > first && $0.at < last }.count
            print("faults, pg_terminate_backend: \(killed) backends killed; \(meanwhile) pulls meanwhile; \(fixture.metricsLine())")
            #expect(killed > 0)
            #expect(recovered != nil, "the server never recovered after its connections were killed")
            try fixture.checkRecovered(pid: pid, writes: writes)
        }
        /// A failover to a standby, as the server sees it: the database turns read-only
        /// (`default_transaction_read_only`, connections killed so new ones see it). Writes and
        /// pulls (whose audit row is a write) answer 503; once it is writable again the server
        /// drops the connections that failed and recovers by itself.
        @Test(.enabled(if: PostgresCluster.binDirectory != nil && getuid() == 0, "needs PostgreSQL installed and root (scripts/install-deps --with-postgres)"))
        func serverAnswers503WhilePostgresIsReadOnlyAndRecovers() throws {
            let fixture = try Fixture(tag: "readonly")
            let pid = fixture.server.pid
            _ = try fixture.cluster.psql("ALTER DATABASE seclab_test SET default_transaction_read_only = on")
            _ = try fixture.cluster.terminateBackends()
            let load = try PullLoad(server: fixture.server, credential: fixture.credential, clients: 8, clientTimeout: 15)
            defer { _ = load.stop() }
            usleep(1_000_000)
            let refused = try fixture.owner.run(["secret", "set", "pg", "LATE"], stdin: Array("late value".utf8))
            _ = try fixture.cluster.psql("ALTER DATABASE seclab_test SET default_transaction_read_only = off")
            let writable = load.now
            let recovered = load.waitForSuccesses(after: writable)
            let samples = load.stop()

            let readOnly = samples.filter { $0.at + $0.seconds < writable - 0.1 }
            // No "every later pull succeeds" here: a pooled session opened while read-only learns it
            // only at its first write (then it is dropped), which may come after the 20 successes.
            print(checkPulls(samples, budget: Self.budget, recoveredAfter: nil, label: "PostgreSQL read-only"))
            print("faults, PostgreSQL read-only: secret set exit \(refused.status); \(fixture.metricsLine())")
            #expect(refused.status == 1 && refused.stderr.contains("(503 unavailable)"), "\(refused.stderr)")
            #expect(!readOnly.isEmpty && readOnly.allSatisfy { $0.status == 503 }, "pulls write an audit row: 503 while read-only")
            #expect(try fixture.server.metrics().value("seclab_db_unavailable_total", #"reason="read_only""#) > 0)
            #expect(recovered != nil, "the server never recovered after the database turned writable")
            #expect(try fixture.owner.run(["secret", "set", "pg", "LATE"], stdin: Array("late value".utf8)).status == 0)
            try fixture.checkRecovered(pid: pid, writes: OwnerWrites(owner: fixture.owner, vault: "pg", prefix: "AFTER"))
        }
    }
}

/// An owner setting new secrets one after another on a thread (the real CLI, one process per
/// write) until stopped: which writes the CLI reported as done, to check none is lost.
final class OwnerWrites: @unchecked Sendable {
    struct Write {
        let key: String
        let value: String
        let status: Int32
    }

    private let running = Locked(true)
    private let writes = Locked([Write]())
    private let group = DispatchGroup()

    init(owner: Owner, vault: String, prefix: String) {
        group.enter()
        Thread.detachNewThread { [self] in
            defer { group.leave() }
            var index = 0
            while running.withLock({ $0 }) {
                index += 1
                let key = "\(prefix)_\(index)", value = "written-\(index)-\(UUID().uuidString.prefix(8))"
                let status = (try? owner.run(["secret", "set", vault, key], stdin: Array(value.utf8), timeout: 60).status) ?? -1
                writes.withLock { $0.append(Write(key: key, value: value, status: status)) }
            }
        }
    }

    /// Stop after the write in flight; every write made.
    func stop() -> [Write] {
        running.withLock { $0 = false }
        group.wait()
        return writes.withLock { $0 }
    }
}
