import ArgumentParser
import Foundation
import SeclabAPI
import SeclabClient
import SeclabFormat
import SeclabKeys
import SeclabOwner
import SeclabPassphrase
import SeclabPrimitives

/// Flags every command shares.
struct GlobalOptions: ParsableArguments {
    @Option(name: .long, help: ArgumentHelp("Server URL, e.g. https://seclab.example.com (env SECLAB_SERVER; default: the profile's).", valueName: "url"))
    var server: String?

    @Option(name: .customLong("config-dir"), help: ArgumentHelp("Profile directory (env SECLAB_CONFIG_DIR; default ~/.config/seclab).", valueName: "dir"))
    var configDir: String?

    /// `--server`, else `SECLAB_SERVER`.
    var explicitServer: String? {
        if let server, !server.isEmpty { return server }
        if let env = ProcessInfo.processInfo.environment[EnvironmentNames.server], !env.isEmpty { return env }
        return nil
    }

    var store: ProfileStore { ProfileStore(configDir: configDir) }
}

/// How the passphrase reaches a command that unlocks the account.
struct UnlockOptions: ParsableArguments {
    @Flag(name: .customLong("passphrase-stdin"), help: "Read the passphrase from the first line of stdin (else env SECLAB_PASSPHRASE, else the terminal).")
    var passphraseStdin = false
}

/// Flags of listing commands.
struct OutputOptions: ParsableArguments {
    @Flag(name: .long, help: "Print JSON for scripts.")
    var json = false
}

/// Validation shared by commands that take a vault and a secret name.
enum Validate {
    static func nonEmpty(_ value: String, _ what: String) throws {
        guard !value.isEmpty else { throw ValidationError("\(what) cannot be empty") }
    }

    static func email(_ value: String) throws {
        let parts = value.split(separator: "@", omittingEmptySubsequences: false)
        guard parts.count == 2, !parts[0].isEmpty, parts[1].contains("."), value.utf8.count <= 254 else {
            throw ValidationError("'\(value)' is not an e-mail address")
        }
    }
}
