public import Hummingbird
import NIOCore

/// The request context of every seclab route: the core storage plus the client's address,
/// which audit rows and address throttles use.
public struct SeclabRequestContext: RequestContext {
    /// Hummingbird's per-request storage.
    public var coreContext: CoreRequestContextStorage
    /// The peer's IP address as this server saw it (no proxy headers are trusted).
    public let clientAddress: String?

    /// Build from the channel.
    public init(source: ApplicationRequestContextSource) {
        coreContext = .init(source: source)
        clientAddress = source.channel.remoteAddress?.ipAddress
    }

    /// Bodies are collected explicitly with per-route limits (see `JSONBody`), so the
    /// framework's own limit only has to admit the largest (rekey).
    public var maxUploadSize: Int { 256 * 1024 * 1024 }
}
