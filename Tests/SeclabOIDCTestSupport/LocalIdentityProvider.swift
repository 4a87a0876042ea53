import Crypto
import CryptoExtras
import Foundation
import Hummingbird
import JWTKit
import NIOCore
import Synchronization

/// A real OpenID Connect identity provider on loopback for the tests ("Tests").
///
/// It has its own RSA and P-256 keys, serves its discovery document and JWKS over HTTP, can
/// rotate to a new RSA key (new `kid`), can be taken down (discovery and JWKS answer 503),
/// and has a GitHub-style token endpoint (`GET …/_apis/idtoken?api-version=2.0&audience=…`
/// with `Authorization: Bearer <request token>`, answering `{"value": jwt}`). It mints real
/// JWTs with jwt-kit, including the hostile ones the tests throw at the server.
public final class LocalIdentityProvider: Sendable {
    /// `http://127.0.0.1:PORT`: the issuer text tokens carry and the server is configured with.
    public let issuer: String
    /// The bound port.
    public let port: Int
    /// What `ACTIONS_ID_TOKEN_REQUEST_TOKEN` would hold.
    public let requestToken: String
    /// What `ACTIONS_ID_TOKEN_REQUEST_URL` would hold (it already has a query, like GitHub's).
    public var tokenRequestURL: String { issuer + "/_apis/idtoken?api-version=2.0" }

    private struct SigningKey: Sendable {
        let kid: String
        let rsa: JWTKit.Insecure.RSA.PrivateKey?
        let ec: ES256PrivateKey?
        var published: Bool
    }

    private struct State: Sendable {
        var keys: [SigningKey]
        var currentRSA: String
        var down = false
        var cacheMaxAge: Int? = 0
        var discoveryFetches = 0
        var keySetFetches = 0
        var tokenRequests = 0
        var lastAudience: String?
        var endpointClaims: [String: Claim] = LocalIdentityProvider.githubClaims()
    }

    private let state: Mutex<State>
    private let task: Mutex<Task<Void, any Error>?>
    private let prefix: String

    private init(issuer: String, port: Int, prefix: String, state: State, task: Task<Void, any Error>) {
        self.issuer = issuer
        self.port = port
        self.prefix = prefix
        self.requestToken = "req-" + Self.randomID()
        self.state = Mutex(state)
        self.task = Mutex(task)
    }

    /// Start one on 127.0.0.1 with a fresh RSA and EC key (random `kid`s, unique per provider).
    public static func start() async throws -> LocalIdentityProvider {
        let prefix = randomID()
        let rsa = try makeRSA(kid: "\(prefix)-rsa-1")
        let ec = SigningKey(kid: "\(prefix)-ec-1", rsa: nil, ec: try ES256PrivateKey(backing: P256.Signing.PrivateKey()), published: true)
        let state = State(keys: [rsa, ec], currentRSA: rsa.kid)
        let holder = Holder()
        let router = Router()
        router.get("/.well-known/openid-configuration") { _, _ in try holder.provider().discovery() }
        router.get("/.well-known/jwks") { _, _ in try holder.provider().keySet() }
        router.get("/_apis/idtoken") { request, _ in try await holder.provider().tokenEndpoint(request) }
        let (portStream, portContinuation) = AsyncStream.makeStream(of: Int.self)
        let app = Application(router: router, configuration: .init(address: .hostname("127.0.0.1", port: 0)),
                              onServerRunning: { channel in portContinuation.yield(channel.localAddress?.port ?? 0) })
        let task = Task { try await app.run() }
        var iterator = portStream.makeAsyncIterator()
        guard let port = await iterator.next(), port > 0 else { throw ProviderError("identity provider did not start") }
        let provider = LocalIdentityProvider(issuer: "http://127.0.0.1:\(port)", port: port, prefix: prefix, state: state, task: task)
        holder.set(provider)
        return provider
    }

    /// Stop serving (the listening socket closes).
    public func stop() async {
        let running = task.withLock { task in defer { task = nil }; return task }
        running?.cancel()
        _ = try? await running?.value
    }

    /// While down, the discovery document and the key set answer 503 (an outage as a server sees it).
    public func setDown(_ down: Bool) { state.withLock { $0.down = down } }

    /// The `Cache-Control: max-age` sent with discovery and keys; nil sends no header. Default 0
    /// (no caching), so tests see every change at once; benchmarks set an hour.
    public func setCacheMaxAge(_ seconds: Int?) { state.withLock { $0.cacheMaxAge = seconds } }

    /// The claims the token endpoint puts in the tokens it hands out (besides iss, aud and times).
    public func setEndpointClaims(_ claims: [String: Claim]) { state.withLock { $0.endpointClaims = claims } }

    /// How often discovery, JWKS and the token endpoint were asked.
    public var fetchCounts: (discovery: Int, keySet: Int, tokens: Int) {
        state.withLock { ($0.discoveryFetches, $0.keySetFetches, $0.tokenRequests) }
    }

    /// The `audience` parameter of the last token request.
    public var lastRequestedAudience: String? { state.withLock { $0.lastAudience } }

    /// The `kid` of the RSA key tokens are signed with now.
    public var currentRSAKeyID: String { state.withLock { $0.currentRSA } }
    /// The `kid` of the EC key.
    public var ecKeyID: String { "\(prefix)-ec-1" }

    /// Rotate: a new RSA key (new `kid`) signs from now on; the old one stays published unless
    /// `retireOld`. Returns the new `kid`.
    @discardableResult
    public func rotate(retireOld: Bool = false) throws -> String {
        let count = state.withLock { $0.keys.count }
        let key = try Self.makeRSA(kid: "\(prefix)-rsa-\(count + 1)")
        state.withLock { state in
            if retireOld, let index = state.keys.firstIndex(where: { $0.kid == state.currentRSA }) { state.keys[index].published = false }
            state.keys.append(key)
            state.currentRSA = key.kid
        }
        return key.kid
    }

    // MARK: minting

    /// Which key signs a token.
    public enum Signer: Sendable {
        /// The current RSA key, RS256.
        case rsa
        /// The EC key, ES256.
        case ec
    }

    /// A real signed token: `claims` plus `iss` (this issuer unless `issuer` is given), `aud`,
    /// `iat`, `nbf`, `exp` (`expiresIn` seconds from now; negative for an expired one).
    public func token(_ claims: [String: Claim] = LocalIdentityProvider.githubClaims(), audience: Claim,
                      signer: Signer = .rsa, issuer: String? = nil, expiresIn: Int64 = 300,
                      notBeforeOffset: Int64 = 0) async throws -> String {
        let payload = payload(claims, audience: audience, issuer: issuer, expiresIn: expiresIn, notBeforeOffset: notBeforeOffset)
        let key = try signingKey(signer)
        return try await Self.sign(payload, with: key, kid: key.kid)
    }

    /// `alg: none` with an empty signature.
    public func unsignedToken(_ claims: [String: Claim] = LocalIdentityProvider.githubClaims(), audience: Claim) throws -> String {
        let header = try JSONSerialization.data(withJSONObject: ["alg": "none", "typ": "JWT"], options: [.sortedKeys])
        let body = try JSONEncoder().encode(payload(claims, audience: audience, issuer: nil, expiresIn: 300, notBeforeOffset: 0))
        return Self.base64URL(header) + "." + Self.base64URL(body) + "."
    }

    /// HS256 whose HMAC key is the RSA *public* key's PEM text, with the RSA key's `kid`: the
    /// classic algorithm-confusion forgery against verifiers that let the header pick the algorithm.
    public func hs256WithPublicKey(_ claims: [String: Claim] = LocalIdentityProvider.githubClaims(), audience: Claim) async throws -> String {
        let key = try signingKey(.rsa)
        guard let rsa = key.rsa else { throw ProviderError("no RSA key") }
        let collection = JWTKeyCollection()
        await collection.add(hmac: HMACKey(from: Data(rsa.publicKey.pemRepresentation.utf8)), digestAlgorithm: .sha256,
                             kid: JWKIdentifier(string: key.kid))
        return try await collection.sign(payload(claims, audience: audience, issuer: nil, expiresIn: 300, notBeforeOffset: 0),
                                         kid: JWKIdentifier(string: key.kid))
    }

    /// Signed by `signer` but labelled with `labelKid` (another published key, or another
    /// issuer's when `issuer` claims to be that one): a swapped `kid`.
    public func swappedKidToken(_ claims: [String: Claim] = LocalIdentityProvider.githubClaims(), audience: Claim,
                                signer: Signer = .rsa, labelKid: String, issuer: String? = nil) async throws -> String {
        let key = try signingKey(signer)
        return try await Self.sign(payload(claims, audience: audience, issuer: issuer, expiresIn: 300, notBeforeOffset: 0),
                                   with: key, kid: labelKid)
    }

    // MARK: HTTP

    func discovery() throws -> Response {
        let (down, maxAge) = state.withLock { state in
            state.discoveryFetches += 1
            return (state.down, state.cacheMaxAge)
        }
        if down { return Response(status: .serviceUnavailable) }
        let document: [String: Any] = [
            "issuer": issuer, "jwks_uri": issuer + "/.well-known/jwks",
            "response_types_supported": ["id_token"], "subject_types_supported": ["public"],
            "id_token_signing_alg_values_supported": ["RS256", "ES256"],
        ]
        return try Self.json(document, maxAge: maxAge)
    }

    func keySet() throws -> Response {
        let (down, maxAge, keys) = state.withLock { state in
            state.keySetFetches += 1
            return (state.down, state.cacheMaxAge, state.keys.filter(\.published))
        }
        if down { return Response(status: .serviceUnavailable) }
        var list: [[String: Any]] = []
        for key in keys {
            if let rsa = key.rsa {
                let (modulus, exponent) = try rsa.publicKey.getKeyPrimitives()
                list.append(["kty": "RSA", "kid": key.kid, "use": "sig", "alg": "RS256",
                             "n": Self.base64URL(modulus), "e": Self.base64URL(exponent)])
            } else if let ec = key.ec, let parameters = ec.parameters {
                list.append(["kty": "EC", "kid": key.kid, "use": "sig", "alg": "ES256", "crv": "P-256",
                             "x": parameters.x, "y": parameters.y])
            }
        }
        return try Self.json(["keys": list], maxAge: maxAge)
    }

    func tokenEndpoint(_ request: Request) async throws -> Response {
        let claims = state.withLock { state in
            state.tokenRequests += 1
            return state.endpointClaims
        }
        guard request.headers[.authorization] == "Bearer \(requestToken)" else { return Response(status: .unauthorized) }
        guard request.uri.queryParameters.get("api-version") != nil,
              let audience = request.uri.queryParameters.get("audience"), !audience.isEmpty else {
            return Response(status: .badRequest)
        }
        state.withLock { $0.lastAudience = audience }
        let token = try await token(claims, audience: .string(audience))
        return try Self.json(["value": token], maxAge: nil)
    }

    // MARK: helpers

    private func payload(_ claims: [String: Claim], audience: Claim, issuer: String?, expiresIn: Int64,
                         notBeforeOffset: Int64) -> MintedClaims {
        let now = Int64(Date().timeIntervalSince1970)
        var values = claims
        values["iss"] = .string(issuer ?? self.issuer)
        values["aud"] = audience
        values["iat"] = .int(now)
        values["nbf"] = .int(now + notBeforeOffset)
        values["exp"] = .int(now + expiresIn)
        // Unique per token, as GitHub's and GitLab's are: two tokens minted in one second must
        // differ, or a server's verified-token cache would take one for the other.
        if values["jti"] == nil { values["jti"] = .string(Self.randomID() + Self.randomID()) }
        return MintedClaims(values)
    }

    private func signingKey(_ signer: Signer) throws -> SigningKey {
        try state.withLock { state in
            let kid = signer == .rsa ? state.currentRSA : "\(prefix)-ec-1"
            guard let key = state.keys.first(where: { $0.kid == kid }) else { throw ProviderError("no key \(kid)") }
            return key
        }
    }

    private static func sign(_ payload: MintedClaims, with key: SigningKey, kid: String) async throws -> String {
        let collection = JWTKeyCollection()
        let identifier = JWKIdentifier(string: kid)
        if let rsa = key.rsa {
            await collection.add(rsa: rsa, digestAlgorithm: .sha256, kid: identifier)
        } else if let ec = key.ec {
            await collection.add(ecdsa: ec, kid: identifier)
        }
        return try await collection.sign(payload, kid: identifier)
    }

    private static func makeRSA(kid: String) throws -> SigningKey {
        SigningKey(kid: kid, rsa: try JWTKit.Insecure.RSA.PrivateKey(backing: _RSA.Signing.PrivateKey(keySize: .bits2048)), ec: nil, published: true)
    }

    private static func json(_ object: Any, maxAge: Int?) throws -> Response {
        let data = try JSONSerialization.data(withJSONObject: object, options: [.sortedKeys])
        var headers: HTTPFields = [.contentType: "application/json"]
        if let maxAge { headers[.cacheControl] = "public, max-age=\(maxAge)" }
        return Response(status: .ok, headers: headers, body: .init(byteBuffer: ByteBuffer(bytes: data)))
    }

    static func base64URL(_ data: Data) -> String {
        data.base64EncodedString().replacingOccurrences(of: "+", with: "-").replacingOccurrences(of: "/", with: "_")
            .replacingOccurrences(of: "=", with: "")
    }

    static func randomID() -> String {
        (0..<8).map { _ in String("abcdefghijklmnopqrstuvwxyz0123456789".randomElement()!) }.joined()
    }

    /// Lets the router's handlers reach the provider, which exists only after the port is known.
    private final class Holder: Sendable {
        private let value = Mutex<LocalIdentityProvider?>(nil)
        func set(_ provider: LocalIdentityProvider) { value.withLock { $0 = provider } }
        func provider() throws -> LocalIdentityProvider {
            guard let provider = value.withLock({ $0 }) else { throw HTTPError(.serviceUnavailable) }
            return provider
        }
    }
}

/// A failure of the test identity provider itself.
public struct ProviderError: Error, CustomStringConvertible {
    /// What went wrong.
    public let description: String
    init(_ description: String) { self.description = description }
}
