#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif

/// The claims a bound pull's audit row keeps: who ran, where and which run.
/// Never the token. GitHub and GitLab name some of them differently; the first present wins.
public struct AuditedClaims: Sendable, Hashable, Codable {
    /// `iss`.
    public var issuer: String?
    /// `sub`.
    public var subject: String?
    /// `repository` (GitHub) or `project_path` (GitLab).
    public var repository: String?
    /// `ref`.
    public var ref: String?
    /// `environment`.
    public var environment: String?
    /// `run_id` (GitHub) or `pipeline_id` (GitLab).
    public var runID: String?
    /// `actor` (GitHub) or `user_login` (GitLab).
    public var actor: String?
    /// `workflow` (GitHub) or `job_id` (GitLab).
    public var workflow: String?
    /// False when taken from a refused token: what it *claimed*, not what anyone vouched for.
    public var verified: Bool

    /// Longest value kept per field: a hostile token must not bloat the audit.
    static let maxValueBytes = 200

    /// Pick the audited fields out of a claim set.
    public init(_ claims: ClaimSet, verified: Bool) {
        func pick(_ keys: String...) -> String? {
            for key in keys {
                if let value = claims.text(key) { return Self.clip(value) }
            }
            return nil
        }
        issuer = pick("iss")
        subject = pick("sub")
        repository = pick("repository", "project_path")
        ref = pick("ref")
        environment = pick("environment")
        runID = pick("run_id", "pipeline_id")
        actor = pick("actor", "user_login")
        workflow = pick("workflow", "job_id")
        self.verified = verified
    }

    /// The claims of a token nobody has verified (a refused one), for its audit row; nil when
    /// the payload cannot even be read.
    public static func unverified(token: String) -> AuditedClaims? {
        guard let parts = try? CompactJWS(token) else { return nil }
        return AuditedClaims(parts.claims, verified: false)
    }

    /// Compact JSON for the audit row's detail (sorted keys, absent fields left out).
    public var auditText: String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        return (try? encoder.encode(self)).map { String(decoding: $0, as: UTF8.self) } ?? "{}"
    }

    private enum CodingKeys: String, CodingKey {
        case issuer = "iss", subject = "sub", repository, ref, environment, runID = "run_id", actor, workflow, verified
    }

    private static func clip(_ value: String) -> String {
        guard value.utf8.count > maxValueBytes else { return value }
        var clipped = ""
        for character in value {
            if clipped.utf8.count + String(character).utf8.count > maxValueBytes { break }
            clipped.append(character)
        }
        return clipped + "…"
    }
}
