public import JWTKit

/// A claim value the test identity provider puts in a token.
public enum Claim: Sendable, Hashable, Codable, ExpressibleByStringLiteral {
    /// A string claim.
    case string(String)
    /// An integer claim (times).
    case int(Int64)
    /// A list of strings (`aud` with several audiences).
    case strings([String])

    /// `"text"` is `.string("text")`.
    public init(stringLiteral value: String) { self = .string(value) }

    /// Decode a string, integer or list of strings.
    public init(from decoder: any Decoder) throws {
        let container = try decoder.singleValueContainer()
        if let text = try? container.decode(String.self) { self = .string(text) }
        else if let number = try? container.decode(Int64.self) { self = .int(number) }
        else { self = .strings(try container.decode([String].self)) }
    }

    /// Encode as plain JSON.
    public func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        switch self {
        case let .string(text): try container.encode(text)
        case let .int(number): try container.encode(number)
        case let .strings(list): try container.encode(list)
        }
    }
}

/// The payload the identity provider signs: any claims by name.
public struct MintedClaims: JWTPayload, Sendable {
    /// The claims.
    public var values: [String: Claim]

    /// Wrap a dictionary.
    public init(_ values: [String: Claim]) { self.values = values }

    /// Decode a JSON object.
    public init(from decoder: any Decoder) throws {
        let container = try decoder.singleValueContainer()
        values = try container.decode([String: Claim].self)
    }

    /// Encode as a JSON object.
    public func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        try container.encode(values)
    }

    /// Minting checks nothing.
    public func verify(using algorithm: some JWTAlgorithm) async throws {}
}

extension LocalIdentityProvider {
    /// Claims shaped like a GitHub Actions token (docs.github.com, "About security hardening
    /// with OpenID Connect"), for `acme/app` on `refs/heads/main` in `production`.
    public static func githubClaims(repository: String = "acme/app", ref: String = "refs/heads/main",
                                    environment: String? = "production", runID: String = "4242",
                                    actor: String = "octocat", workflow: String = "deploy") -> [String: Claim] {
        var claims: [String: Claim] = [
            "repository": .string(repository), "repository_owner": .string(String(repository.split(separator: "/").first ?? "")),
            "ref": .string(ref), "ref_type": "branch", "run_id": .string(runID), "run_attempt": "1",
            "actor": .string(actor), "workflow": .string(workflow), "event_name": "push",
            "job_workflow_ref": .string("\(repository)/.github/workflows/\(workflow).yml@\(ref)"),
        ]
        if let environment {
            claims["environment"] = .string(environment)
            claims["sub"] = .string("repo:\(repository):environment:\(environment)")
        } else {
            claims["sub"] = .string("repo:\(repository):ref:\(ref)")
        }
        return claims
    }

    /// Claims shaped like a GitLab CI `id_tokens:` token.
    public static func gitlabClaims(projectPath: String = "acme/app", ref: String = "main",
                                    pipelineID: String = "777", userLogin: String = "tanuki") -> [String: Claim] {
        [
            "project_path": .string(projectPath), "namespace_path": .string(String(projectPath.split(separator: "/").first ?? "")),
            "ref": .string(ref), "ref_type": "branch", "ref_protected": "true", "pipeline_id": .string(pipelineID),
            "job_id": "31337", "user_login": .string(userLogin),
            "sub": .string("project_path:\(projectPath):ref_type:branch:ref:\(ref)"),
        ]
    }
}
