import Hummingbird
import SeclabStore
import Synchronization

/// At most `limit` holders at once, at most `queueLimit` waiting; beyond that 503
/// (docs/security.md, "memory"): each holder may hold a whole vault or a whole rekey body in memory, so the peak is
/// bounded by `limit` times the vault size limit, whatever number of clients ask at once).
final class BoundedGate: Sendable {
    let semaphore: AsyncSemaphore
    let queueLimit: Int
    let pending = Atomic<Int>(0)

    init(limit: Int, queueLimit: Int) {
        semaphore = AsyncSemaphore(limit: max(1, limit))
        self.queueLimit = queueLimit
    }

    /// Run `body` holding a permit, or throw 503 when too many already wait.
    func run<R: Sendable>(_ body: () async throws -> R) async throws -> R {
        guard pending.add(1, ordering: .relaxed).newValue <= queueLimit + 1 else {
            pending.subtract(1, ordering: .relaxed)
            throw APIError.busy
        }
        defer { pending.subtract(1, ordering: .relaxed) }
        return try await semaphore.withPermit { try await body() }
    }
}

/// Rekeys one (or `limit`) at a time, body collection included: the body of a rekey is the
/// whole vault, so concurrent rekeys would multiply the peak.
struct HeavyRouteMiddleware: RouterMiddleware {
    typealias Context = SeclabRequestContext
    let rekeys: BoundedGate

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        guard request.method == .post, request.uri.path.hasPrefix("/v1/vaults/"), request.uri.path.hasSuffix("/rekey") else {
            return try await next(request, context)
        }
        return try await rekeys.run { try await next(request, context) }
    }
}
