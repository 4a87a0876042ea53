import JWTKit
#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif

/// How long an issuer's keys are kept.
public struct KeyCachePolicy: Sendable {
    /// Used when the issuer sends no `Cache-Control` max-age.
    public var defaultSeconds: Double
    /// Upper bound whatever the issuer says: a removed (compromised) key stops working within a day.
    public var maxSeconds: Double
    /// An unknown `kid` refreshes the key set at most this often per issuer: a stream of
    /// tokens with random `kid`s cannot make the server hammer the issuer.
    public var unknownKeyRefreshSeconds: Double

    /// The defaults: 5 min, 24 h, 60 s.
    public init(defaultSeconds: Double = 300, maxSeconds: Double = 86_400, unknownKeyRefreshSeconds: Double = 60) {
        self.defaultSeconds = defaultSeconds
        self.maxSeconds = maxSeconds
        self.unknownKeyRefreshSeconds = unknownKeyRefreshSeconds
    }
}

/// One verification key: its type decides the only algorithm it verifies.
struct VerificationKey: Sendable {
    enum Kind: Sendable { case rs256, es256 }
    let kind: Kind
    /// A jwt-kit collection holding exactly this key under its `kid` (no default fallback to
    /// any other key).
    let collection: JWTKeyCollection
}

/// One trusted issuer's key set: fetched through its discovery document, cached, refreshed.
actor IssuerKeys {
    let issuer: IssuerURL
    private let fetcher: MetadataFetcher
    private let policy: KeyCachePolicy
    private var keys: [String: [VerificationKey]] = [:]
    private var expiresAt: Double = -.infinity
    private var lastUnknownKeyRefresh: Double = -.infinity
    private var refreshing: Task<Result<([String: [VerificationKey]], Double), OIDCError>, Never>?

    init(issuer: IssuerURL, fetcher: MetadataFetcher, policy: KeyCachePolicy) {
        self.issuer = issuer
        self.fetcher = fetcher
        self.policy = policy
    }

    /// The key `kid` names for `kind`, fetching or refreshing the set as the cache rules allow.
    func key(_ kid: String, kind: VerificationKey.Kind, now: Double) async throws(OIDCError) -> VerificationKey {
        if now >= expiresAt { try await refresh(now: now) }
        if let key = keys[kid]?.first(where: { $0.kind == kind }) { return key }
        if keys[kid] == nil, now - lastUnknownKeyRefresh >= policy.unknownKeyRefreshSeconds {
            // A new kid is how an issuer rotates: look once, then not again for a while.
            lastUnknownKeyRefresh = now
            try await refresh(now: now)
            if let key = keys[kid]?.first(where: { $0.kind == kind }) { return key }
        }
        if keys[kid] != nil { throw .algorithmRefused("that does not fit the type of key \(kid)") }
        throw .unknownKey(kid)
    }

    /// Fetch discovery and keys; concurrent callers share one fetch.
    private func refresh(now: Double) async throws(OIDCError) {
        let task: Task<Result<([String: [VerificationKey]], Double), OIDCError>, Never>
        if let running = refreshing {
            task = running
        } else {
            let issuer = issuer, fetcher = fetcher, policy = policy
            task = Task { await Self.fetch(issuer: issuer, fetcher: fetcher, policy: policy) }
            refreshing = task
        }
        let result = await task.value
        if refreshing == task { refreshing = nil }
        switch result {
        case let .success((fetched, seconds)):
            keys = fetched
            expiresAt = now + seconds
        case let .failure(error):
            // Fail closed: keys past their time are not used while the issuer is unreachable.
            if now >= expiresAt { keys = [:] }
            throw error
        }
    }

    private struct Discovery: Decodable {
        var issuer: String?
        var jwks_uri: String?
    }

    private struct RawKeySet: Decodable { var keys: [RawKey] }
    private struct RawKey: Decodable {
        var kty: String?
        var kid: String?
        var alg: String?
        var use: String?
        var n: String?
        var e: String?
        var crv: String?
        var x: String?
        var y: String?
    }

    private static func fetch(issuer: IssuerURL, fetcher: MetadataFetcher, policy: KeyCachePolicy)
        async -> Result<([String: [VerificationKey]], Double), OIDCError> {
        do {
            return .success(try await fetchKeys(issuer: issuer, fetcher: fetcher, policy: policy))
        } catch {
            return .failure(error)
        }
    }

    private static func fetchKeys(issuer: IssuerURL, fetcher: MetadataFetcher, policy: KeyCachePolicy)
        async throws(OIDCError) -> ([String: [VerificationKey]], Double) {
        let discoveryDocument = try await fetcher.get(issuer.discoveryURL)
        guard let discovery = try? JSONDecoder().decode(Discovery.self, from: discoveryDocument.body) else {
            throw .issuerUnavailable("the discovery document of \(issuer) is not JSON")
        }
        // OpenID Connect Discovery §4.3: the document must name exactly the issuer asked for.
        guard let named = discovery.issuer, named.utf8.elementsEqual(issuer.text.utf8) else {
            throw .issuerUnavailable("the discovery document of \(issuer) names another issuer")
        }
        guard let jwksURL = discovery.jwks_uri, issuer.allows(fetchURL: jwksURL) else {
            throw .issuerUnavailable("the discovery document of \(issuer) has no acceptable jwks_uri (https only)")
        }
        let keyDocument = try await fetcher.get(jwksURL)
        guard let set = try? JSONDecoder().decode(RawKeySet.self, from: keyDocument.body) else {
            throw .issuerUnavailable("the key set of \(issuer) is not a JWKS")
        }
        var keys: [String: [VerificationKey]] = [:]
        for raw in set.keys {
            if let (kid, key) = await Self.verificationKey(raw) { keys[kid, default: []].append(key) }
        }
        guard !keys.isEmpty else { throw .issuerUnavailable("the key set of \(issuer) has no RS256 or ES256 key") }
        let ages = [discoveryDocument.maxAgeSeconds, keyDocument.maxAgeSeconds].map { $0.map(Double.init) ?? policy.defaultSeconds }
        return (keys, min(ages.min() ?? policy.defaultSeconds, policy.maxSeconds))
    }

    /// A usable signing key: RSA (≥ 2048 bits, jwt-kit checks) for RS256 or P-256 for ES256,
    /// with a `kid`, not marked for encryption, and no other `alg` than its type's.
    private static func verificationKey(_ raw: RawKey) async -> (String, VerificationKey)? {
        guard let kid = raw.kid, !kid.isEmpty, raw.use == nil || raw.use == "sig" else { return nil }
        let collection = JWTKeyCollection()
        switch raw.kty ?? "" {
        case "RSA":
            guard raw.alg == nil || raw.alg == "RS256", let n = raw.n, let e = raw.e,
                  let key = try? JWTKit.Insecure.RSA.PublicKey(modulus: n, exponent: e) else { return nil }
            await collection.add(rsa: key, digestAlgorithm: .sha256, kid: JWKIdentifier(string: kid))
            return (kid, VerificationKey(kind: .rs256, collection: collection))
        case "EC":
            guard raw.alg == nil || raw.alg == "ES256", raw.crv == "P-256", let x = raw.x, let y = raw.y,
                  let key = try? ES256PublicKey(parameters: (x, y)) else { return nil }
            await collection.add(ecdsa: key, kid: JWKIdentifier(string: kid))
            return (kid, VerificationKey(kind: .es256, collection: collection))
        default:
            return nil
        }
    }
}
