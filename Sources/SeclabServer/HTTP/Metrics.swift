import Hummingbird
import Logging
import SeclabStore
import Synchronization
#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif

/// A small Prometheus registry: counters and one latency histogram, rendered as the text
/// exposition format on `/metrics`. Labels are route templates and status codes only, never
/// ids, refs or anything a client sent.
final class MetricsRegistry: Sendable {
    static let buckets: [Double] = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5]

    struct Histogram {
        var counts = [UInt64](repeating: 0, count: MetricsRegistry.buckets.count)
        var sum = 0.0
        var count: UInt64 = 0
    }

    struct State {
        var requests: [String: UInt64] = [:]
        var latency: [String: Histogram] = [:]
        var authFailures: [String: UInt64] = [:]
        var throttles: [String: UInt64] = [:]
        var credentialCache: [String: UInt64] = [:]
        var argon2idRuns: UInt64 = 0
        var databaseUnavailable: [String: UInt64] = [:]
        var machinePolls: [String: UInt64] = [:]
    }

    let state = Mutex(State())

    func recordRequest(method: String, route: String, status: Int, seconds: Double) {
        let key = "method=\"\(method)\",route=\"\(route)\",status=\"\(status)\""
        let latencyKey = "method=\"\(method)\",route=\"\(route)\""
        state.withLock { state in
            state.requests[key, default: 0] += 1
            var histogram = state.latency[latencyKey] ?? Histogram()
            for (index, bound) in Self.buckets.enumerated() where seconds <= bound { histogram.counts[index] += 1 }
            histogram.sum += seconds
            histogram.count += 1
            state.latency[latencyKey] = histogram
        }
    }

    func authFailure(kind: String) { state.withLock { $0.authFailures["kind=\"\(kind)\"", default: 0] += 1 } }
    func throttled(kind: String) { state.withLock { $0.throttles["kind=\"\(kind)\"", default: 0] += 1 } }
    /// One Argon2id verification ran (the cost a throttle must keep bounded).
    func argon2idRun() { state.withLock { $0.argon2idRuns += 1 } }
    /// A request answered 503 because the database could not serve.
    func databaseUnavailable(_ fault: DatabaseFault) { state.withLock { $0.databaseUnavailable["reason=\"\(fault.label)\"", default: 0] += 1 } }
    /// One conditional machine pull: `unchanged` answered without items and
    /// without an audit row; `changed` went on to a full, audited pull.
    func machinePoll(unchanged: Bool) { state.withLock { $0.machinePolls["result=\"\(unchanged ? "unchanged" : "changed")\"", default: 0] += 1 } }
    func credentialCache(hit: Bool) { state.withLock { $0.credentialCache["result=\"\(hit ? "hit" : "miss")\"", default: 0] += 1 } }

    /// The page; `database` adds the deadline counters of the database layer.
    func render(database: DatabaseCounters.Snapshot? = nil) -> String {
        let snapshot = state.withLock { $0 }
        var out = ""
        func counter(_ name: String, _ help: String, _ values: [String: UInt64]) {
            out += "# HELP \(name) \(help)\n# TYPE \(name) counter\n"
            for (labels, value) in values.sorted(by: { $0.key < $1.key }) { out += "\(name){\(labels)} \(value)\n" }
        }
        counter("seclab_http_requests_total", "HTTP requests by route template and status.", snapshot.requests)
        out += "# HELP seclab_http_request_duration_seconds Request latency.\n# TYPE seclab_http_request_duration_seconds histogram\n"
        for (labels, histogram) in snapshot.latency.sorted(by: { $0.key < $1.key }) {
            for (index, bound) in Self.buckets.enumerated() {
                out += "seclab_http_request_duration_seconds_bucket{\(labels),le=\"\(bound)\"} \(histogram.counts[index])\n"
            }
            out += "seclab_http_request_duration_seconds_bucket{\(labels),le=\"+Inf\"} \(histogram.count)\n"
            out += "seclab_http_request_duration_seconds_sum{\(labels)} \(histogram.sum)\n"
            out += "seclab_http_request_duration_seconds_count{\(labels)} \(histogram.count)\n"
        }
        counter("seclab_auth_failures_total", "Failed authentications by kind (srp, machine, session).", snapshot.authFailures)
        counter("seclab_throttled_total", "Requests refused with 429 by kind.", snapshot.throttles)
        counter("seclab_credential_cache_total", "Machine credential cache lookups.", snapshot.credentialCache)
        out += "# HELP seclab_argon2id_verifications_total Argon2id verifications of machine credentials.\n"
        out += "# TYPE seclab_argon2id_verifications_total counter\nseclab_argon2id_verifications_total \(snapshot.argon2idRuns)\n"
        counter("seclab_machine_polls_total", "Conditional machine pulls (if_revision) by result; unchanged ones write no audit row.",
                snapshot.machinePolls)
        counter("seclab_db_unavailable_total", "Requests answered 503 because the database could not serve, by reason.", snapshot.databaseUnavailable)
        if let database { out += Self.render(database) }
        return out
    }
}

/// Times every request, counts it by route template, logs one line per request (method,
/// route template, status, duration: never the path's ids, headers or bodies), and turns
/// any error that is not an `APIError`-style HTTP error into a bare 500.
struct ObservabilityMiddleware: RouterMiddleware {
    typealias Context = SeclabRequestContext
    let metrics: MetricsRegistry

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        let start = ContinuousClock.now
        var status = 500
        defer {
            let elapsed = ContinuousClock.now - start
            let seconds = Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) / 1e18
            let route = context.endpointPath ?? "unmatched"
            metrics.recordRequest(method: request.method.rawValue, route: route, status: status, seconds: seconds)
            context.logger.info("request", metadata: [
                "method": .string(request.method.rawValue), "route": .string(route),
                "status": .stringConvertible(status), "ms": .stringConvertible(Int(seconds * 1000)),
            ])
        }
        do {
            let response = try await next(request, context)
            status = response.status.code
            return response
        } catch let error as any HTTPResponseError {
            if let fault = (error as? APIError)?.databaseFault { logUnavailable(fault, context: context) }
            status = error.status.code
            return try error.response(from: request, context: context)
        } catch let error as StoreError {
            guard case let .unavailable(fault) = error else {
                context.logger.error("internal error", metadata: ["error.type": .string("StoreError")])
                status = 500
                return try APIError(.internalServerError, code: "internal", message: "internal error").response(from: request, context: context)
            }
            let answer = APIError.databaseUnavailable(fault)
            status = answer.status.code
            logUnavailable(fault, context: context)
            return try answer.response(from: request, context: context)
        } catch {
            // Why only the type: error descriptions from drivers can quote SQL and bind values.
            context.logger.error("internal error", metadata: ["error.type": .string(String(describing: type(of: error)))])
            status = 500
            return try APIError(.internalServerError, code: "internal", message: "internal error").response(from: request, context: context)
        }
    }
}

extension ObservabilityMiddleware {
    /// One line per refused request: the reason, never the driver's text (it can quote SQL).
    func logUnavailable(_ fault: DatabaseFault, context: Context) {
        metrics.databaseUnavailable(fault)
        context.logger.warning("database unavailable: \(fault)", metadata: ["route": .string(context.endpointPath ?? "unmatched")])
    }
}
