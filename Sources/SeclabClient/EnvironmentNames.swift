/// The environment variables seclab's two clients read, in one table; docs/cli.md and
/// docs/seclab-run.md list them for users.
public enum EnvironmentNames {
    /// The server's URL (both clients; `--server` wins).
    public static let server = "SECLAB_SERVER"
    /// seclab-run: the machine credential text (`slmk2_…`).
    public static let machineKey = "SECLAB_MACHINE_KEY"
    /// seclab-run: a file holding the machine credential.
    public static let machineKeyFile = "SECLAB_MACHINE_KEY_FILE"
    /// seclab-run: a CA bundle for a server with a private CA (`--cacert` wins).
    public static let caFile = "SECLAB_CA_FILE"
    /// seclab: the profile directory (default `~/.config/seclab`).
    public static let configDirectory = "SECLAB_CONFIG_DIR"
    /// seclab: the passphrase, for scripts that cannot answer a prompt.
    public static let passphrase = "SECLAB_PASSPHRASE"
    /// seclab: the new passphrase of `account change-passphrase`, for scripts.
    public static let newPassphrase = "SECLAB_NEW_PASSPHRASE"
}
