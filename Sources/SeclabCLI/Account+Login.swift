import ArgumentParser
import Foundation
import SeclabAPI
import SeclabClient
import SeclabOwner
import SeclabFormat
import SeclabKeys
import SeclabPassphrase
import SeclabPrimitives

extension Account {
    /// `seclab account login --email E [--secret-key-stdin]`.
    struct Login: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Log in on this device with the passphrase and the Secret Key (SRP-6a; neither is sent).",
            discussion: """
                With --secret-key-stdin and --passphrase-stdin, stdin holds the Secret Key on the \
                first line and the passphrase on the second.
                Example: seclab account login --email me@example.com --server https://seclab.example.com
                """
        )

        @OptionGroup var global: GlobalOptions
        @OptionGroup var unlock: UnlockOptions

        @Option(help: ArgumentHelp("The account's e-mail.", valueName: "email"))
        var email: String

        @Flag(name: .customLong("secret-key-stdin"), help: "Read the Secret Key from the first line of stdin.")
        var secretKeyStdin = false

        func validate() throws {
            try Validate.email(email)
        }

        func run() throws {
            let store = global.store
            let existing = try store.read(Profile.self, ProfileStore.profileFile)
            if let existing, existing.email != email.lowercased() {
                throw CLIFailure("this profile belongs to \(existing.email)", hint: "use --config-dir for another account", status: .conflict)
            }
            guard let server = global.explicitServer ?? existing?.server else {
                throw CLIFailure("no server", hint: "pass --server URL or set SECLAB_SERVER", status: .usage)
            }
            let stdin = StandardInput()
            let secretKey = try readSecretKey(existing: existing, stdin: stdin)
            let passphrase = try Unlocker(global, unlock, stdin: stdin).passphrase()
            let client = try Unlocker.client(server)
            Terminal.progress("logging in (deriving keys)")
            let session = try owner { () throws(OwnerError) in
                try OwnerAccount.login(client: client, email: email, passphrase: passphrase, secretKey: secretKey)
            }
            // Saved only now: a failed login leaves no profile behind.
            try store.write(Profile(server: server, email: session.keySet.email, accountID: session.accountID.text, secretKey: secretKey.text),
                            ProfileStore.profileFile)
            try store.write(CachedSession(server: client.baseURL, session: session), ProfileStore.sessionFile)
            Terminal.note("logged in as \(session.keySet.email) until \(session.expiresAt)")
        }

        private func readSecretKey(existing: Profile?, stdin: StandardInput) throws(CLIFailure) -> SecretKey {
            let text: String
            if secretKeyStdin {
                guard let line = stdin.nextLine() else { throw CLIFailure("--secret-key-stdin given but stdin is empty", status: .usage) }
                text = line
            } else if let existing {
                text = existing.secretKey
            } else {
                guard let typed = Terminal.readHidden(prompt: "Secret Key (from your Emergency Kit): ") else {
                    throw CLIFailure("no terminal to ask for the Secret Key", hint: "use --secret-key-stdin", status: .usage)
                }
                text = typed
            }
            do { return try SecretKey(text: text) } catch {
                throw CLIFailure(error.description, hint: "copy the Secret Key exactly as printed in your Emergency Kit", status: .usage)
            }
        }
    }
}
