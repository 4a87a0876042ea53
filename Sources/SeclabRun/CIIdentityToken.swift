import SeclabAPI
import SeclabHTTP

/// The CI job's OpenID Connect token, which a slot bound to a CI identity demands on every
/// pull. seclab-run only forwards it: it never parses or checks it (the server
/// does), so it links no JWT or crypto library.
///
/// Sources, first match wins: GitHub Actions (`ACTIONS_ID_TOKEN_REQUEST_URL` and
/// `ACTIONS_ID_TOKEN_REQUEST_TOKEN`, present with `permissions: id-token: write`), then
/// `SECLAB_OIDC_TOKEN` (GitLab `id_tokens:`), then `SECLAB_OIDC_TOKEN_FILE` (a Kubernetes
/// projected token). None present → no token: an unbound slot pulls as before, and a bound
/// one is refused by the server with a hint.
public enum CIIdentityToken {
    /// Removed from the command's environment like the credential (they are bearer material
    /// or point at it). The GitHub request variables are the runner's and stay.
    public static let removedFromChild: Set<String> = ["SECLAB_OIDC_TOKEN", "SECLAB_OIDC_TOKEN_FILE", "SECLAB_OIDC_AUDIENCE"]

    /// The longest token accepted from any source (the server refuses longer ones anyway).
    static let maxBytes = 16 * 1024

    /// The audience to ask for: `SECLAB_OIDC_AUDIENCE`, else the server's origin (the default
    /// `seclab machine create` binds).
    public static func audience(server: String, environment: [String: String]) -> String? {
        if let explicit = environment["SECLAB_OIDC_AUDIENCE"], !explicit.isEmpty { return explicit }
        return ServerURL.origin(server)
    }

    /// Where the token came from, for messages.
    public enum Source: String, Sendable {
        /// Requested from `ACTIONS_ID_TOKEN_REQUEST_URL`.
        case github = "GitHub Actions token request"
        /// `SECLAB_OIDC_TOKEN`.
        case variable = "SECLAB_OIDC_TOKEN"
        /// The file `SECLAB_OIDC_TOKEN_FILE` names.
        case file = "SECLAB_OIDC_TOKEN_FILE"
    }

    /// A token and its source.
    public struct Token: Sendable {
        /// The compact JWS; never printed.
        public let value: String
        /// Where it came from.
        public let source: Source
    }

    /// Get the token, or nil when no source is configured. A configured source that fails
    /// (GitHub answering an error, an unreadable file) is a failure (125 or 124), not a silent
    /// pull without a token.
    static func acquire(server: String, environment: [String: String],
                               send: (HTTPRequest) throws(HTTPError) -> HTTPResponse,
                               readFile: (String) -> String?) throws(RunFailure) -> Token? {
        if let url = environment["ACTIONS_ID_TOKEN_REQUEST_URL"], !url.isEmpty,
           let bearer = environment["ACTIONS_ID_TOKEN_REQUEST_TOKEN"], !bearer.isEmpty {
            guard let audience = audience(server: server, environment: environment) else {
                throw .usage("cannot derive the OIDC audience from the server URL \(server)", hint: "set SECLAB_OIDC_AUDIENCE")
            }
            return Token(value: try github(url: url, bearer: bearer, audience: audience, send: send), source: .github)
        }
        if let value = environment["SECLAB_OIDC_TOKEN"], !value.isEmpty {
            return Token(value: try checked(value, source: .variable), source: .variable)
        }
        if let path = environment["SECLAB_OIDC_TOKEN_FILE"], !path.isEmpty {
            guard let contents = readFile(path) else {
                throw .usage("cannot read SECLAB_OIDC_TOKEN_FILE \(path)", hint: "point it at the projected service-account token file")
            }
            return Token(value: try checked(contents, source: .file), source: .file)
        }
        return nil
    }

    /// GitHub's token request: GET the runner's URL (it already has a query) with
    /// `&audience=…`, bearer the request token; the answer is `{"value": "<jwt>"}`.
    static func github(url: String, bearer: String, audience: String,
                       send: (HTTPRequest) throws(HTTPError) -> HTTPResponse) throws(RunFailure) -> String {
        let separator = url.contains("?") ? "&" : "?"
        let request = HTTPRequest(method: "GET", url: url + separator + "audience=" + percentEncoded(audience),
                                  headers: [(name: "Authorization", value: "Bearer \(bearer)"), (name: "Accept", value: "application/json")])
        let response: HTTPResponse
        do { response = try send(request) } catch {
            throw RunFailure(RunExitCode.unreachable, "cannot request the GitHub Actions OIDC token: \(error)")
        }
        guard response.status == 200 else {
            throw RunFailure(RunExitCode.refused, "GitHub Actions refused the OIDC token request (HTTP \(response.status))",
                             hint: "the workflow needs `permissions: id-token: write`")
        }
        guard let value = StrictJSON.stringField("value", in: response.body) else {
            throw RunFailure(RunExitCode.refused, "the GitHub Actions OIDC token answer has no token")
        }
        return try checked(value, source: .github)
    }

    /// Trim surrounding whitespace (files end in a newline) and check the shape: three
    /// base64url parts, nothing else, so a misplaced secret is never sent as a token.
    static func checked(_ text: String, source: Source) throws(RunFailure) -> String {
        var value = Substring(text)
        while let last = value.last, last.isWhitespace { value.removeLast() }
        while let first = value.first, first.isWhitespace { value.removeFirst() }
        let allowed = value.utf8.allSatisfy { byte in
            (byte >= 0x41 && byte <= 0x5A) || (byte >= 0x61 && byte <= 0x7A) || (byte >= 0x30 && byte <= 0x39)
                || byte == UInt8(ascii: "-") || byte == UInt8(ascii: "_") || byte == UInt8(ascii: ".")
        }
        guard !value.isEmpty, value.utf8.count <= maxBytes, allowed, value.split(separator: ".", omittingEmptySubsequences: false).count == 3 else {
            throw .usage("the OIDC token from \(source.rawValue) is not a JWT (three base64url parts)")
        }
        return String(value)
    }

    /// RFC 3986 unreserved characters stay; every other byte is %XX.
    static func percentEncoded(_ text: String) -> String {
        var out = ""
        for byte in text.utf8 {
            let unreserved = (byte >= 0x41 && byte <= 0x5A) || (byte >= 0x61 && byte <= 0x7A) || (byte >= 0x30 && byte <= 0x39)
                || byte == UInt8(ascii: "-") || byte == UInt8(ascii: "_") || byte == UInt8(ascii: ".") || byte == UInt8(ascii: "~")
            if unreserved {
                out.unicodeScalars.append(Unicode.Scalar(byte))
            } else {
                let digits = Array("0123456789ABCDEF")
                out += "%" + String(digits[Int(byte >> 4)]) + String(digits[Int(byte & 0x0F)])
            }
        }
        return out
    }
}
