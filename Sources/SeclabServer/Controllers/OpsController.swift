import Hummingbird
import Logging
import SeclabAPI
import SeclabStore

/// `/healthz`, `/readyz`, `/metrics`.
struct OpsController {
    let services: Services

    func register(on router: Router<SeclabRequestContext>) {
        router.get("/healthz") { _, _ in Self.text("ok\n") }
        router.get("/readyz") { _, _ in try await self.ready() }
        router.get("/metrics") { _, _ in
            Response(status: .ok, headers: [.contentType: "text/plain; version=0.0.4"],
                     body: .init(byteBuffer: ByteBuffer(string: self.services.metrics.render(database: self.services.database.counters.snapshot))))
        }
    }

    static func text(_ string: String, status: HTTPResponse.Status = .ok, headers: HTTPFields = [:]) -> Response {
        var fields = headers
        fields[.contentType] = "text/plain; charset=utf-8"
        return Response(status: status, headers: fields, body: .init(byteBuffer: ByteBuffer(string: string)))
    }

    /// Ready when the database answers and the audit table takes a write (fail closed: a server
    /// that cannot audit must not serve). The probe row is written and rolled back. The whole
    /// probe has one database deadline: a database that stops answering turns the
    /// server not-ready within it, and the next probe after it recovers says ready again.
    func ready() async throws -> Response {
        struct ProbeRollback: Error {}
        let database = services.database
        do {
            try await database.withinDeadline {
                do {
                    try await database.write { tx in
                        try await tx.audit(AuditRecord(time: Clock.nowMillis(), actorID: nil, actorKind: .anonymous, action: .readyzProbe,
                                                       clientAddress: nil, outcome: .ok))
                        throw ProbeRollback()
                    }
                } catch is ProbeRollback {}
            }
            return Self.text("ready\n")
        } catch {
            let reason = if case let StoreError.unavailable(fault) = error { fault.description } else { String(describing: type(of: error)) }
            services.logger.warning("readiness probe failed: \(reason)")
            return Self.text("not ready\n", status: .serviceUnavailable, headers: [.retryAfter: String(APIError.unavailableRetryAfterSeconds)])
        }
    }
}
