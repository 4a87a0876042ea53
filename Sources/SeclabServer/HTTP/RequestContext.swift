public import Hummingbird
import NIOCore

/// The request context of every seclab route: the core storage plus the client's address,
/// which audit rows, throttles and rate limits use.
public struct SeclabRequestContext: RequestContext {
    /// Hummingbird's per-request storage.
    public var coreContext: CoreRequestContextStorage
    /// The TCP peer.
    let peer: IPAddress?
    /// The client: the peer, or what a trusted proxy says (`ClientAddressMiddleware`).
    var client: IPAddress?
    /// The caller's account on the routes behind `SessionAuthMiddleware` (nil elsewhere).
    var account: AccountPrincipal?

    /// The client's IP address as text, for audit rows.
    public var clientAddress: String? { client?.description }
    /// What throttles and rate limits count for this client (IPv6: the /64).
    var throttleSubject: String { client?.throttleSubject ?? "unknown" }

    /// Build from the channel.
    public init(source: ApplicationRequestContextSource) {
        coreContext = .init(source: source)
        peer = source.channel.remoteAddress?.ipAddress.flatMap { IPAddress($0) }
        client = peer
        account = nil
    }

    /// Bodies are collected explicitly with per-route limits (see `JSONBody`), so the
    /// framework's own limit only has to admit the largest (rekey).
    public var maxUploadSize: Int { 1 << 30 }
}

/// Takes the client address from `Forwarded` / `X-Forwarded-For` when the peer is a trusted
/// proxy (`--trusted-proxy`); otherwise the peer is the client (see `ForwardedFor`).
struct ClientAddressMiddleware: RouterMiddleware {
    typealias Context = SeclabRequestContext
    let trusted: [CIDRRange]

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        guard !trusted.isEmpty else { return try await next(request, context) }
        var context = context
        let xff = request.headers[values: .init("X-Forwarded-For")!]
        let forwarded = request.headers[values: .init("Forwarded")!]
        context.client = ForwardedFor.client(peer: context.peer, forwardedFor: xff, forwarded: forwarded, trusted: trusted)
        return try await next(request, context)
    }
}
