/// The version and git commit of this build, printed by `--version` of all three binaries.
///
/// Why two sources: the version lives in ONE place, the repository's `VERSION` file.
/// `scripts/release` writes `Release.generated.swift` (git-ignored) from `VERSION` and
/// `git rev-parse HEAD` and builds with `-DSECLAB_RELEASE`; any other build (debug, tests,
/// `swift build` from a clone) compiles the fallback below and says it is unreleased, so it
/// needs neither the script nor git.
public enum BuildInfo {
    /// `VERSION` for a release build, `dev` otherwise (a build that did not go through scripts/release).
    public static let version: String = stampedVersion
    /// The full git commit a release was built from (`-dirty` when the tree had changes), `unknown` otherwise.
    public static let commit: String = stampedCommit
    /// `VERSION (commit COMMIT)`: the line `--version` prints after the program's name.
    public static var line: String { "\(version) (commit \(commit))" }
}

#if !SECLAB_RELEASE
let stampedVersion = "dev"
let stampedCommit = "unknown"
#endif
