import Foundation
import SeclabTestSupport
import Testing

/// The server unreachable, failing, or
/// throttling. `seclab-run` retries within `--timeout`, honours `Retry-After`, then exits with
/// the documented code (docs/seclab-run.md: 124 unreachable/failing, 123 throttled) in bounded
/// time; `seclab` exits 5 when it cannot reach the server (docs/cli.md).
extension Resilience {
    @Suite struct Unreachable {
        static func fixture() throws -> TokenVault { try TokenVault(vault: "net", token: "tok_live_unreachable_77") }

        /// `seclab-run ARGS -- /bin/sh -c 'printf %s "$API_TOKEN" | wc -c'` against `server`: status, stderr, seconds.
        static func seclabRun(_ server: String, _ arguments: [String], credential: String) throws -> (status: Int32, stdout: String, stderr: String, seconds: Double) {
            let directory = FileManager.default.temporaryDirectory.appendingPathComponent("seclab-res-run-\(UUID().uuidString)")
            try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
            defer { try? FileManager.default.removeItem(at: directory) }
            let out = directory.appendingPathComponent("out").path, err = directory.appendingPathComponent("err").path
            let result = try Spawn.run(try Binaries.url(named: "seclab-run").path, arguments + ["--", "/bin/sh", "-c", #"printf 'len=%s\n' "${#API_TOKEN}""#],
                                       environment: ["SECLAB_MACHINE_KEY": credential, "SECLAB_SERVER": server, "PATH": "/usr/bin:/bin"],
                                       stdout: out, stderr: err, timeout: 60)
            return (result.status, (try? String(contentsOfFile: out, encoding: .utf8)) ?? "",
                    (try? String(contentsOfFile: err, encoding: .utf8)) ?? "", result.seconds)
        }

        static func pulls(_ proxy: FaultProxy) -> Int { proxy.exchanges.filter { $0.path == "/v1/machine/pull" }.count }

        @Test func unreachableOrFailingServerEndsWith124WithinTheTimeout() throws {
            let fixture = try Self.fixture()
            // Nothing listens: connection refused, retried with backoff, then 124.
            let refused = try Self.seclabRun("http://127.0.0.1:\(freeLoopbackPort())", ["--timeout", "3"], credential: fixture.credential)
            print("faults, unreachable: seclab-run exit \(refused.status) after \(String(format: "%.2f", refused.seconds)) s: \(refused.stderr.split(separator: "\n").first ?? "")")
            #expect(refused.status == 124)
            #expect(refused.seconds < 3 + 1.5)
            #expect(refused.stderr.contains("attempts"), "it should have retried: \(refused.stderr)")
            #expect(!refused.stdout.contains("len="), "nothing may run")

            // A server that answers 503 every time: retried until the timeout, then 124.
            let proxy = try FaultProxy(upstreamPort: fixture.server.port) { _, _, _ in
                .respond(status: 503, headers: [("Retry-After", "1")], body: #"{"error":{"code":"busy","message":"server busy; retry shortly"}}"#)
            }
            let failing = try Self.seclabRun(proxy.baseURL, ["--timeout", "3"], credential: fixture.credential)
            print("faults, always 503: seclab-run exit \(failing.status) after \(String(format: "%.2f", failing.seconds)) s and \(Self.pulls(proxy)) attempts")
            #expect(failing.status == 124)
            #expect(Self.pulls(proxy) >= 2)
            #expect(failing.seconds < 3 + 1.5)

            // Throttled for longer than the timeout: no pointless wait, 123 at once.
            let throttled = try FaultProxy(upstreamPort: fixture.server.port) { _, _, _ in
                .respond(status: 429, headers: [("Retry-After", "60")], body: #"{"error":{"code":"throttled","message":"retry after 60 s"}}"#)
            }
            let refusedNow = try Self.seclabRun(throttled.baseURL, ["--timeout", "3"], credential: fixture.credential)
            #expect(refusedNow.status == 123)
            #expect(refusedNow.seconds < 2)
            #expect(Self.pulls(throttled) == 1)
        }

        /// A server that starts listening only after seclab-run started (a compose service, an
        /// ENTRYPOINT beside its server): refused connections are retried until --timeout.
        @Test func waitsForAServerThatIsStillStarting() throws {
            let fixture = try Self.fixture()
            let port = freeLoopbackPort()
            let late = LateProxy()
            let upstream = fixture.server.port
            DispatchQueue.global().asyncAfter(deadline: .now() + 2) { late.start(upstreamPort: upstream, listenPort: port) }
            let run = try Self.seclabRun("http://127.0.0.1:\(port)", ["--timeout", "20"], credential: fixture.credential)
            print("faults, server up after 2 s: seclab-run exit \(run.status) after \(String(format: "%.2f", run.seconds)) s")
            #expect(run.status == 0, "\(run.stderr)")
            #expect(run.stdout.contains("len=23"))
            #expect(run.seconds >= 1.9 && run.seconds < 20)
            #expect(late.started)
        }

        /// Holds the proxy started late (kept alive until the test ends).
        final class LateProxy: @unchecked Sendable {
            private let lock = NSLock()
            private var proxy: FaultProxy?
            var started: Bool { lock.withLock { proxy != nil } }
            func start(upstreamPort: Int, listenPort: Int) {
                let made = try? FaultProxy(upstreamPort: upstreamPort, listenPort: listenPort)
                lock.withLock { proxy = made }
            }
        }

        @Test(arguments: [503, 429])
        func honoursRetryAfterThenSucceeds(status: Int) throws {
            let fixture = try Self.fixture()
            // The first two pulls get `status` with Retry-After: 1, then the real server answers.
            let proxy = try FaultProxy(upstreamPort: fixture.server.port) { method, path, index in
                guard path == "/v1/machine/pull", index < 2 else { return .forward() }
                return .respond(status: status, headers: [("Retry-After", "1")], body: #"{"error":{"code":"busy","message":"try later"}}"#)
            }
            let run = try Self.seclabRun(proxy.baseURL, ["--timeout", "10"], credential: fixture.credential)
            let gaps = zip(proxy.exchanges.dropFirst(), proxy.exchanges).map { $0.received.timeIntervalSince($1.received) }
            print("faults, \(status) × 2 then ok: seclab-run exit \(run.status) after \(String(format: "%.2f", run.seconds)) s; gaps between attempts \(gaps.map { String(format: "%.2f", $0) })")
            #expect(run.status == 0, "\(run.stderr)")
            #expect(run.stdout.contains("len=23"))
            #expect(Self.pulls(proxy) == 3)
            // Jittered backoff alone would wait at most 0.2 s, then 0.4 s: these gaps are Retry-After's.
            #expect(gaps.count == 2 && gaps.allSatisfy { $0 >= 0.95 })
        }

        @Test func ownerCLIExits5WhenTheServerCannotBeReached() throws {
            let fixture = try Self.fixture()
            let dead = "http://127.0.0.1:\(freeLoopbackPort())"
            let started = Date()
            let result = try fixture.owner.run(["vault", "list"], extra: ["SECLAB_SERVER": dead])
            let elapsed = Date().timeIntervalSince(started)
            print("faults, unreachable: seclab vault list exit \(result.status) after \(String(format: "%.2f", elapsed)) s: \(result.stderr.split(separator: "\n").first ?? "")")
            #expect(result.status == 5, "\(result.stderr)")
            #expect(elapsed < 10)
            #expect(result.stderr.hasPrefix("seclab: error: "))
        }
    }
}
