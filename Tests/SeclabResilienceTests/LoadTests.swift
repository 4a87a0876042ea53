import Foundation
import SeclabTestSupport
import Testing

/// 32 concurrent `seclab-run -- true` (the real binary, one process per pull) in
/// a loop against one server, on each engine, with zero errors; p50/p99 of the whole run
/// (process start to exit) and the server's peak RSS are printed.
///
/// CI runs 10 s per engine; `bench/load-runs` runs the same code for 60 s
/// (`SECLAB_LOAD_SECONDS`) with release binaries.
extension Resilience {
    @Suite struct Load {
        static var seconds: Double {
            ProcessInfo.processInfo.environment["SECLAB_LOAD_SECONDS"].flatMap(Double.init) ?? 10
        }
        static let concurrency = 32

        struct Report: CustomStringConvertible {
            let engine: String
            let runs: Int
            let errors: [String]
            let p50: Double, p99: Double, max: Double
            let seconds: Double
            let peakKiB: Int, rssKiB: Int
            var description: String {
                "load, \(engine): " + String(format: "%d × seclab-run -- true in %.1f s (%.0f/s) by %d workers, %d errors; p50 %.0f ms, p99 %.0f ms, max %.0f ms; server VmHWM %d MiB, VmRSS %d MiB",
                       runs, seconds, Double(runs) / seconds, Load.concurrency, errors.count, p50 * 1000, p99 * 1000, max * 1000,
                       peakKiB / 1024, rssKiB / 1024)
            }
        }

        /// Run the loop against `server` for `seconds` with `concurrency` threads, each starting
        /// one `seclab-run` after the other.
        static func run(engine: String, server: ServerProcess, credential: String) throws -> Report {
            let binary = try Binaries.url(named: "seclab-run").path
            let environment = ["SECLAB_MACHINE_KEY": credential, "SECLAB_SERVER": server.baseURL, "PATH": "/usr/bin:/bin"]
            let directory = FileManager.default.temporaryDirectory.appendingPathComponent("seclab-res-load-\(UUID().uuidString)")
            try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
            defer { try? FileManager.default.removeItem(at: directory) }
            let durations = Locked([Double]()), errors = Locked([String]())
            let started = Date()
            let deadline = started.addingTimeInterval(seconds)
            let group = DispatchGroup()
            for worker in 0..<concurrency {
                group.enter()
                // Real threads: a dispatch pool on two cores would run two workers, not 32.
                Thread.detachNewThread {
                    defer { group.leave() }
                    let errPath = directory.appendingPathComponent("err-\(worker)").path
                    while Date() < deadline {
                        do {
                            let result = try Spawn.run(binary, ["--", "/bin/true"], environment: environment, stderr: errPath, timeout: 60)
                            if result.status == 0 {
                                durations.withLock { $0.append(result.seconds) }
                            } else {
                                let text = (try? String(contentsOfFile: errPath, encoding: .utf8)) ?? ""
                                errors.withLock { $0.append("exit \(result.status): \(text.split(separator: "\n").last ?? "")") }
                            }
                            _ = truncate(errPath, 0)
                        } catch {
                            errors.withLock { $0.append("spawn: \(error)") }
                        }
                    }
                }
            }
            group.wait()
            let elapsed = Date().timeIntervalSince(started)
            let all = durations.withLock { $0 }
            let memory = server.memory()
            return Report(engine: engine, runs: all.count, errors: errors.withLock { $0 }, p50: percentile(all, 50), p99: percentile(all, 99),
                          max: all.max() ?? 0, seconds: elapsed, peakKiB: memory.peakKiB, rssKiB: memory.currentKiB)
        }

        /// A server on `databaseURL` with a 20-item vault and one credential.
        static func prepare(_ databaseURL: String?) throws -> (ServerProcess, Owner, String) {
            let server = try ServerProcess(databaseURL: databaseURL)
            let owner = try Owner(server: server.baseURL)
            try owner.ok(["vault", "create", "load"])
            #expect(try owner.importDotenv("load", sampleItems(20, tag: "load")).status == 0)
            return (server, owner, try owner.mintCredential("load"))
        }

        static func check(_ report: Report) {
            print(report)
            #expect(report.errors.isEmpty, "\(report.errors.count) errors, first: \(report.errors.prefix(3))")
            #expect(report.runs >= concurrency)
            #expect(report.peakKiB > 0)
        }

        @Test func thirtyTwoConcurrentRunsOnSQLite() throws {
            let (server, _, credential) = try Self.prepare(nil)
            Self.check(try Self.run(engine: "sqlite", server: server, credential: credential))
            #expect(server.isRunning)
        }

        @Test(.enabled(if: PostgresCluster.binDirectory != nil, "PostgreSQL is not installed (scripts/install-deps --with-postgres)"))
        func thirtyTwoConcurrentRunsOnPostgreSQL() throws {
            let cluster = try PostgresCluster()
            let (server, _, credential) = try Self.prepare(cluster.url)
            Self.check(try Self.run(engine: "postgres", server: server, credential: credential))
            #expect(server.isRunning)
        }
    }
}
