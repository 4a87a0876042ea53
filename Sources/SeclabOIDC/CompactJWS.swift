#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif

/// A token split and read *without* checking its signature: only to decide which key may
/// verify it (header `alg`, `kid`; payload `iss`) and, for a refused token, what it claimed.
/// The signature itself is checked by jwt-kit (`TokenVerifier`), never here.
struct CompactJWS {
    /// Header `alg`, if a string.
    let algorithm: String?
    /// Header `kid`, if a string.
    let keyID: String?
    /// Whether the header has a `crit` member.
    let hasCritical: Bool
    /// The payload's claims.
    let claims: ClaimSet

    /// Tokens from GitHub and GitLab are 1–2 KB; anything far longer is refused before parsing.
    static let maxBytes = 16 * 1024

    init(_ token: String) throws(OIDCError) {
        guard token.utf8.count <= Self.maxBytes else { throw .malformedToken("longer than \(Self.maxBytes) bytes") }
        let parts = token.split(separator: ".", omittingEmptySubsequences: false)
        guard parts.count == 3 else { throw .malformedToken("expected three dot-separated parts (a compact JWS)") }
        guard let headerData = Self.base64URL(parts[0]), let payloadData = Self.base64URL(parts[1]),
              Self.base64URL(parts[2]) != nil else {
            throw .malformedToken("a part is not base64url")
        }
        guard let header = try? JSONDecoder().decode(Header.self, from: headerData) else {
            throw .malformedToken("the header is not a JSON object")
        }
        guard let claims = try? JSONDecoder().decode(ClaimSet.self, from: payloadData) else {
            throw .malformedToken("the payload is not a JSON object")
        }
        algorithm = header.alg
        keyID = header.kid
        hasCritical = header.crit != nil
        self.claims = claims
    }

    private struct Header: Decodable {
        var alg: String?
        var kid: String?
        var crit: ClaimValue?
    }

    /// Unpadded base64url (RFC 7515 §2) to bytes; nil on any other character.
    static func base64URL(_ text: Substring) -> Data? {
        guard text.utf8.allSatisfy({ byte in
            (byte >= UInt8(ascii: "A") && byte <= UInt8(ascii: "Z")) || (byte >= UInt8(ascii: "a") && byte <= UInt8(ascii: "z"))
                || (byte >= UInt8(ascii: "0") && byte <= UInt8(ascii: "9")) || byte == UInt8(ascii: "-") || byte == UInt8(ascii: "_")
        }), text.utf8.count % 4 != 1 else { return nil }
        var standard = [UInt8](text.utf8).map { byte -> UInt8 in
            byte == UInt8(ascii: "-") ? UInt8(ascii: "+") : byte == UInt8(ascii: "_") ? UInt8(ascii: "/") : byte
        }
        standard += [UInt8](repeating: UInt8(ascii: "="), count: (4 - standard.count % 4) % 4)
        return Data(base64Encoded: Data(standard))
    }
}
