#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif

/// A trusted OpenID Connect issuer as the operator configured it (`--oidc-issuer`).
///
/// `text` is kept byte for byte: a token's `iss` must equal it exactly, so no
/// normalisation (case, trailing slash, default port) ever happens. Only `https://` is
/// accepted, except for loopback hosts (tests and a local identity provider), because the
/// key set fetched from it decides whose tokens open a bound slot.
public struct IssuerURL: Sendable, Hashable, CustomStringConvertible {
    /// The issuer exactly as configured; compared byte-equal to `iss`.
    public let text: String
    /// Where the discovery document lives (OpenID Connect Discovery 1.0 §4).
    public let discoveryURL: String
    /// True for `http://` on a loopback host.
    public let isLoopback: Bool

    /// Parse and check one issuer URL.
    public init(_ text: String) throws(OIDCError) {
        guard text.utf8.count <= 512, !text.isEmpty else {
            throw .invalidConfiguration("OIDC issuer URL must be 1 to 512 characters")
        }
        guard let components = URLComponents(string: text), let scheme = components.scheme?.lowercased(),
              let host = components.host, !host.isEmpty else {
            throw .invalidConfiguration("OIDC issuer \(text) is not an absolute URL (expected https://host[/path])")
        }
        guard components.query == nil, components.fragment == nil, components.user == nil, components.password == nil else {
            throw .invalidConfiguration("OIDC issuer \(text) must not have a query, fragment or user info")
        }
        let loopback = Self.isLoopbackHost(host)
        switch scheme {
        case "https": break
        case "http" where loopback: break
        default:
            throw .invalidConfiguration("OIDC issuer \(text) must use https:// (http:// only on a loopback host)")
        }
        self.text = text
        self.isLoopback = loopback
        let base = text.hasSuffix("/") ? String(text.dropLast()) : text
        self.discoveryURL = base + "/.well-known/openid-configuration"
    }

    /// Parse a comma-separated list (`SECLAB_OIDC_ISSUERS`); empty entries are ignored.
    public static func list(_ text: String) throws(OIDCError) -> [IssuerURL] {
        var result: [IssuerURL] = []
        for part in text.split(separator: ",") {
            let trimmed = String(part.drop(while: { $0 == " " }).reversed().drop(while: { $0 == " " }).reversed())
            if trimmed.isEmpty { continue }
            result.append(try IssuerURL(trimmed))
        }
        return result
    }

    /// The issuer text.
    public var description: String { text }

    /// Whether a URL fetched on this issuer's behalf (its `jwks_uri`) is acceptable: https, or
    /// http on loopback when the issuer itself is a loopback issuer.
    func allows(fetchURL: String) -> Bool {
        guard let components = URLComponents(string: fetchURL), let scheme = components.scheme?.lowercased(),
              let host = components.host, !host.isEmpty else { return false }
        if scheme == "https" { return true }
        return scheme == "http" && isLoopback && Self.isLoopbackHost(host)
    }

    static func isLoopbackHost(_ host: String) -> Bool {
        let lower = host.lowercased()
        if lower == "localhost" || lower == "::1" || lower == "[::1]" { return true }
        let parts = lower.split(separator: ".", omittingEmptySubsequences: false)
        return parts.count == 4 && parts[0] == "127" && parts.allSatisfy { UInt8($0) != nil }
    }
}
