import Foundation
import SeclabHTTP
import SeclabTestSupport
import Testing

/// Issue 7 §5: PostgreSQL restarted under load. The server keeps running: during the outage
/// requests fail fast with a clean error body, and afterwards they succeed again without a
/// restart of the server (its pool replaces the dead connections).
extension Resilience {
    @Suite struct PostgresRestart {
        struct Sample {
            let at: Double
            let status: Int  // -1: no HTTP answer at all
            let body: String
            let seconds: Double
        }

        @Test(.enabled(if: PostgresCluster.binDirectory != nil, "PostgreSQL is not installed (scripts/install-deps --with-postgres)"))
        func serverRecoversFromAPostgresRestartUnderLoad() throws {
            let cluster = try PostgresCluster()
            let server = try Daemon(databaseURL: cluster.url)
            let owner = try Owner(server: server.baseURL)
            try owner.ok(["vault", "create", "pg"])
            #expect(try owner.importDotenv("pg", sampleItems(20, tag: "pg")).status == 0)
            let credential = try owner.mintCredential("pg")
            let header = try machineAuthorization(credential)
            let pid = server.pid

            // Four clients pulling in a loop for the whole test.
            let origin = Date()
            let running = Locked(true)
            let samples = Locked([Sample]())
            let group = DispatchGroup()
            for _ in 0..<4 {
                group.enter()
                Thread.detachNewThread {
                    defer { group.leave() }
                    guard let client = try? HTTP.client(timeout: 5) else { return }
                    while running.withLock({ $0 }) {
                        let started = Date()
                        let response = try? HTTP.request("POST", server.baseURL + "/v1/machine/pull", headers: [header], body: "{}", client: client)
                        let sample = Sample(at: started.timeIntervalSince(origin), status: response?.status ?? -1,
                                            body: response.map { String(decoding: $0.body.prefix(200), as: UTF8.self) } ?? "",
                                            seconds: Date().timeIntervalSince(started))
                        samples.withLock { $0.append(sample) }
                        if response?.status != 200 { usleep(20_000) }
                    }
                }
            }
            usleep(1_000_000)
            try cluster.stop(mode: "immediate")
            let down = Date().timeIntervalSince(origin)
            usleep(2_000_000)
            let upCalled = Date().timeIntervalSince(origin)
            try cluster.start()
            let up = Date().timeIntervalSince(origin)
            // Wait for 20 consecutive successes after the restart (or give up after 20 s).
            let deadline = Date().addingTimeInterval(20)
            while Date() < deadline {
                let tail = samples.withLock { list in list.filter { $0.at > up }.suffix(20) }
                if tail.count == 20, tail.allSatisfy({ $0.status == 200 }) { break }
                usleep(100_000)
            }
            running.withLock { $0 = false }
            group.wait()

            let all = samples.withLock { $0 }
            let before = all.filter { $0.at < down - 0.3 }
            let outage = all.filter { $0.at > down && $0.at + $0.seconds < upCalled }
            let failures = all.filter { $0.status != 200 }
            let firstSuccess = all.filter { $0.at > up && $0.status == 200 }.map(\.at).min()
            let outageStatuses = Dictionary(grouping: outage, by: \.status).mapValues(\.count)
            print("faults, PostgreSQL restart: \(all.count) pulls; before \(before.filter { $0.status == 200 }.count)/\(before.count) ok; during the outage \(outageStatuses) (slowest \(String(format: "%.0f", (outage.map(\.seconds).max() ?? 0) * 1000)) ms); first success \(firstSuccess.map { String(format: "%.2f", $0 - up) } ?? "never") s after PostgreSQL was up")

            #expect(server.isRunning && server.pid == pid, "the server must not need a restart")
            #expect(!before.isEmpty && before.allSatisfy { $0.status == 200 })
            #expect(!outage.isEmpty && outage.allSatisfy { $0.status >= 500 }, "during the outage: \(outageStatuses)")
            // Clean errors: the documented JSON error body, no driver text, answered (no hang).
            for failure in failures {
                #expect(failure.status >= 500 && failure.body.hasPrefix(#"{"error":{"#), "status \(failure.status): \(failure.body)")
                #expect(!failure.body.lowercased().contains("psql") && !failure.body.lowercased().contains("postgres"))
            }
            #expect(firstSuccess != nil, "the server never recovered after PostgreSQL came back")
            if firstSuccess == nil {
                // Seen once in CI (every pull hung, before and after the restart): keep what the
                // server said, for the next time.
                print("faults, PostgreSQL restart, server log tail:\n" + server.log().split(separator: "\n").suffix(40).joined(separator: "\n"))
            }
            let tail = all.filter { $0.at > up }.suffix(20)
            #expect(tail.count == 20 && tail.allSatisfy { $0.status == 200 })
            // The owner's CLI and seclab-run work again too.
            let run = try Spawn.run(try Binaries.url(named: "seclab-run").path, ["--", "/bin/true"],
                                    environment: ["SECLAB_MACHINE_KEY": credential, "SECLAB_SERVER": server.baseURL, "PATH": "/usr/bin:/bin"])
            #expect(run.status == 0)
            #expect(try owner.export("pg").status == 0)
        }
    }
}
