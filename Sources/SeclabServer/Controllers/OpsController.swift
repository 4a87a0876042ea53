import Hummingbird
import Logging
import SeclabStore

/// `/healthz`, `/readyz`, `/metrics`.
struct OpsController {
    let services: Services

    func register(on router: Router<SeclabRequestContext>) {
        router.get("/healthz") { _, _ in Self.text("ok\n") }
        router.get("/readyz") { _, _ in try await self.ready() }
        router.get("/metrics") { _, _ in
            Response(status: .ok, headers: [.contentType: "text/plain; version=0.0.4"],
                     body: .init(byteBuffer: ByteBuffer(string: self.services.metrics.render())))
        }
    }

    static func text(_ string: String, status: HTTPResponse.Status = .ok) -> Response {
        Response(status: status, headers: [.contentType: "text/plain; charset=utf-8"], body: .init(byteBuffer: ByteBuffer(string: string)))
    }

    /// Ready when the database answers and the audit table takes a write (fail closed: a server
    /// that cannot audit must not serve). The probe row is written and rolled back.
    func ready() async throws -> Response {
        struct ProbeRollback: Error {}
        do {
            try await services.database.write { tx in
                try await tx.audit(AuditRecord(time: Clock.nowMillis(), actorID: nil, actorKind: "anonymous", action: "readyz.probe",
                                               clientAddress: nil, outcome: "ok"))
                throw ProbeRollback()
            }
        } catch is ProbeRollback {
            return Self.text("ready\n")
        } catch {
            services.logger.warning("readiness probe failed", metadata: ["error.type": .string(String(describing: type(of: error)))])
            return Self.text("not ready\n", status: .serviceUnavailable)
        }
        return Self.text("ready\n")
    }
}
