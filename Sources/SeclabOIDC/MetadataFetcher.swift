import AsyncHTTPClient
import NIOCore
import NIOHTTP1
#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif

/// GETs an issuer's discovery document and key set with AsyncHTTPClient.
///
/// No redirects (the URLs are the issuer's own; a redirect elsewhere is refused rather than
/// followed to keys nobody configured), a short deadline (a pull waits on it), a size cap.
public final class MetadataFetcher: Sendable {
    private let client: HTTPClient
    private let deadline: TimeAmount

    /// Longest discovery document or key set read.
    static let maxBodyBytes = 256 * 1024

    /// A fetcher with its own HTTP client; call `shutdown()` when done.
    public init(deadlineSeconds: Int64 = 5) {
        let configuration = HTTPClient.Configuration(
            redirectConfiguration: .disallow,
            timeout: .init(connect: .seconds(deadlineSeconds), read: .seconds(deadlineSeconds)),
            connectionPool: .init(),
            // Why explicit: the zlib that swift-nio-extras compiles into the server then parses
            // no input (packaging/debian/seclab-server/lintian-overrides).
            decompression: .disabled)
        client = HTTPClient(eventLoopGroupProvider: .singleton, configuration: configuration)
        deadline = .seconds(deadlineSeconds)
    }

    /// Close the HTTP client's connections.
    public func shutdown() async throws { try await client.shutdown() }

    /// A fetched JSON document and how long it may be cached.
    struct Document {
        let body: Data
        let maxAgeSeconds: Int64?
    }

    /// GET `url`; any failure is `.issuerUnavailable` with a reason for the server's log.
    func get(_ url: String) async throws(OIDCError) -> Document {
        var request = HTTPClientRequest(url: url)
        request.method = .GET
        request.headers.add(name: "Accept", value: "application/json")
        do {
            let response = try await client.execute(request, timeout: deadline)
            guard response.status == .ok else {
                throw OIDCError.issuerUnavailable("GET \(url) answered \(response.status.code)")
            }
            let buffer = try await response.body.collect(upTo: Self.maxBodyBytes)
            return Document(body: Data(buffer.readableBytesView),
                            maxAgeSeconds: CacheControl.maxAge(response.headers["Cache-Control"]))
        } catch let error as OIDCError {
            throw error
        } catch {
            throw .issuerUnavailable("GET \(url) failed: \(error)")
        }
    }
}

/// The part of `Cache-Control` (RFC 9111 §5.2.2) that decides how long keys are kept.
enum CacheControl {
    /// `no-store` / `no-cache` → 0; `max-age=N` → N; otherwise nil (the default applies).
    static func maxAge(_ values: [String]) -> Int64? {
        var result: Int64?
        for value in values {
            for directive in value.split(separator: ",") {
                let token = directive.split(separator: "=", maxSplits: 1).map { $0.filter { $0 != " " && $0 != "\"" } }
                guard let name = token.first?.lowercased() else { continue }
                if name == "no-store" || name == "no-cache" { return 0 }
                if name == "max-age", token.count == 2, let seconds = Int64(token[1]), seconds >= 0 { result = seconds }
            }
        }
        return result
    }
}
