/// seclab-run's reserved exit codes. In exec mode every other code is the command's own; in
/// supervising modes the command's code, or 128+N when it died of signal N.
///
/// Why a small fixed set near `env(1)`'s: a pipeline can tell "the wrapper failed" from "the
/// deploy failed" without parsing messages, and the codes do not collide with 128+N.
public enum RunExitCode {
    /// A response failed an integrity check: tampered, swapped, truncated or malformed. Nothing ran.
    public static let integrity: Int32 = 122
    /// The server refused the credential (revoked, wrong, throttled) or a secret is missing.
    public static let refused: Int32 = 123
    /// The server could not be reached within the timeout, after retries.
    public static let unreachable: Int32 = 124
    /// seclab-run's own failure: usage, configuration, credential text, environment policy.
    public static let failure: Int32 = 125
    /// The command was found but could not be executed.
    public static let notExecutable: Int32 = 126
    /// The command was not found.
    public static let notFound: Int32 = 127
}

/// A wrapper failure: the exit code, a one-line message, and an optional hint.
public struct RunFailure: Error, Sendable {
    /// The reserved exit code.
    public let code: Int32
    /// What went wrong.
    public let message: String
    /// What to do next.
    public let hint: String?

    /// Make a failure.
    public init(_ code: Int32, _ message: String, hint: String? = nil) {
        self.code = code
        self.message = message
        self.hint = hint
    }

    /// A usage or configuration failure (125).
    public static func usage(_ message: String, hint: String? = nil) -> RunFailure {
        RunFailure(RunExitCode.failure, message, hint: hint ?? "see seclab-run --help")
    }
}
