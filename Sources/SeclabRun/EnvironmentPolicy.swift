/// Which names may be injected into a child's environment.
///
/// Why a policy: a secret store is a place an attacker who gets write access would love to
/// plant `LD_PRELOAD` or `BASH_ENV`; those are refused unless a pipeline allows them by name.
public enum EnvironmentPolicy {
    /// Names that change how programs load or run, refused unless `--allow-name` lists them.
    public static let dangerousNames: Set<String> = [
        "PATH", "IFS", "ENV", "BASH_ENV", "SHELLOPTS", "BASHOPTS", "PS4", "PROMPT_COMMAND", "CDPATH", "GLOBIGNORE",
        "NODE_OPTIONS", "PYTHONSTARTUP", "PYTHONHOME", "PYTHONPATH", "PERL5OPT", "PERL5LIB", "PERLLIB",
        "RUBYOPT", "RUBYLIB", "JAVA_TOOL_OPTIONS", "_JAVA_OPTIONS", "GCONV_PATH", "LOCPATH", "NLSPATH",
        "HOSTALIASES", "RESOLV_HOST_CONF", "GLIBC_TUNABLES",
    ]
    /// Prefixes of dangerous names (`LD_PRELOAD`, `DYLD_INSERT_LIBRARIES`, exported bash functions, …).
    public static let dangerousPrefixes = ["LD_", "DYLD_", "MALLOC_", "BASH_FUNC_", "SECLAB_"]

    /// Variables that configure seclab-run itself and are removed from the child's environment,
    /// so the credential never reaches the command (peers.md: most wrappers leak it).
    public static let removedFromChild: Set<String> = ["SECLAB_MACHINE_KEY", "SECLAB_MACHINE_KEY_FILE", "SECLAB_SERVER"]

    /// Whether `name` is a portable environment variable name: `[A-Za-z_][A-Za-z0-9_]*`.
    public static func isPortable(_ name: String) -> Bool {
        guard let first = name.utf8.first, !(first >= UInt8(ascii: "0") && first <= UInt8(ascii: "9")) else { return false }
        return name.utf8.allSatisfy { c in
            (c >= UInt8(ascii: "A") && c <= UInt8(ascii: "Z")) || (c >= UInt8(ascii: "a") && c <= UInt8(ascii: "z"))
                || (c >= UInt8(ascii: "0") && c <= UInt8(ascii: "9")) || c == UInt8(ascii: "_")
        }
    }

    /// Whether `name` is on the dangerous list.
    public static func isDangerous(_ name: String) -> Bool {
        dangerousNames.contains(name) || dangerousPrefixes.contains { name.hasPrefix($0) }
    }

    /// Check a name that will be set in the child's environment.
    public static func check(_ name: String, allowed: Set<String>, role: String) throws(RunFailure) {
        if allowed.contains(name) { return }
        guard isPortable(name) else {
            throw .usage("\(role) '\(name)' is not a valid environment variable name",
                         hint: "deliver it as a file with --file '\(name)=VAR', leave it out with --only, or allow it with --allow-name")
        }
        guard !isDangerous(name) else {
            throw .usage("\(role) '\(name)' is refused: it can change how programs load or run",
                         hint: "if this is intended, pass --allow-name \(name)")
        }
    }
}
