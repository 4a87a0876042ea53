import Foundation
import SeclabHTTP
import SeclabTestSupport
import Testing
#if canImport(Glibc)
import Glibc
#endif

/// `clients` threads sending machine pulls in a loop to one server, each answer timed and
/// kept: what a fleet of CI jobs sees while the database fails under it.
final class PullLoad: @unchecked Sendable {
    struct Sample {
        /// Seconds since the load started, when the request was sent.
        let at: Double
        /// -1: no HTTP answer at all within the client's timeout.
        let status: Int
        let body: String
        let retryAfter: String?
        let seconds: Double
    }

    let origin = Date()
    private let running = Locked(true)
    private let samples = Locked([Sample]())
    private let group = DispatchGroup()

    /// Start pulling with `credential` against `server`; a client gives up after `clientTimeout`.
    init(server: ServerProcess, credential: String, clients: Int, clientTimeout: Double) throws {
        let header = try machineAuthorization(credential)
        let url = server.baseURL + "/v1/machine/pull"
        for _ in 0..<clients {
            group.enter()
            Thread.detachNewThread { [self] in
                defer { group.leave() }
                guard let client = try? HTTP.client(timeout: clientTimeout) else { return }
                while running.withLock({ $0 }) {
                    let started = Date()
                    let response = try? HTTP.request("POST", url, headers: [header], body: "{}", client: client)
                    let sample = Sample(at: started.timeIntervalSince(origin), status: response?.status ?? -1,
                                        body: response.map { String(decoding: $0.body.prefix(300), as: UTF8.self) } ?? "",
                                        retryAfter: response?.headers["retry-after"], seconds: Date().timeIntervalSince(started))
                    samples.withLock { $0.append(sample) }
                    if response?.status != 200 { usleep(20_000) }
                }
            }
        }
    }

    /// Seconds since the load started.
    var now: Double { Date().timeIntervalSince(origin) }

    /// Wait until the last `count` pulls sent after `after` all succeeded, then half a second
    /// more (the pulls sent meanwhile are the "after recovery" ones): the time the recovery was
    /// seen, or nil after `timeout` s.
    func waitForSuccesses(after: Double, count: Int = 20, timeout: Double = 30) -> Double? {
        let deadline = Date().addingTimeInterval(timeout)
        while Date() < deadline {
            let tail = samples.withLock { list in list.filter { $0.at > after }.suffix(count) }
            if tail.count == count, tail.allSatisfy({ $0.status == 200 }) {
                let seen = now
                usleep(500_000)
                return seen
            }
            usleep(100_000)
        }
        return nil
    }

    /// Stop every client (each finishes its request in flight) and return all samples.
    func stop() -> [Sample] {
        running.withLock { $0 = false }
        group.wait()
        return samples.withLock { $0 }
    }
}

/// What every database-fault test checks about the pulls it made: each got an
/// HTTP answer within `budget` seconds; each failure is the documented 503 with Retry-After
/// and nothing about the database; the server recovered. Returns a one-line summary.
func checkPulls(_ samples: [PullLoad.Sample], budget: Double, recoveredAfter: Double?, label: String) -> String {
    let failures = samples.filter { $0.status != 200 }
    let statuses = Dictionary(grouping: samples, by: \.status).mapValues(\.count)
    let times = samples.map(\.seconds)
    #expect(!samples.isEmpty)
    #expect(!statuses.keys.contains(-1), "\(label): \(statuses[-1] ?? 0) pulls got no answer at all (a hang)")
    let slow = samples.filter { $0.seconds > budget }
    #expect(slow.isEmpty, "\(label): \(slow.count) pulls took longer than \(budget) s, the slowest \(ms(slow.map(\.seconds).max() ?? 0)) ms")
    for failure in failures where failure.status != -1 {
        #expect(failure.status == 503 && failure.retryAfter != nil && failure.body.hasPrefix(#"{"error":{"code":"unavailable""#),
                "\(label): status \(failure.status), Retry-After \(failure.retryAfter ?? "none"): \(failure.body)")
        #expect(!failure.body.lowercased().contains("psql") && !failure.body.lowercased().contains("postgres")
                && !failure.body.lowercased().contains("sql"), "\(label): the error leaks the engine: \(failure.body)")
    }
    if let recoveredAfter {
        // Once recovered, it stays so: every pull sent afterwards succeeds.
        let after = samples.filter { $0.at > recoveredAfter }
        let failed = after.filter { $0.status != 200 }.map { "\(ms($0.at - recoveredAfter)) ms: \($0.status)" }
        #expect(!after.isEmpty && failed.isEmpty, "\(label): pulls failed after the recovery: \(failed.prefix(5))")
    }
    let summary = "faults, \(label): \(samples.count) pulls \(statuses.sorted { $0.key < $1.key }.map { "\($0.key): \($0.value)" }.joined(separator: ", ")); "
        + "answer time p50 \(ms(percentile(times, 50))) p99 \(ms(percentile(times, 99))) max \(ms(times.max() ?? 0)) ms; "
        + "failures answered within \(ms(failures.map(\.seconds).max() ?? 0)) ms"
    return summary
}

/// Milliseconds, rounded, for printing.
func ms(_ seconds: Double) -> String { String(Int((seconds * 1000).rounded())) }
