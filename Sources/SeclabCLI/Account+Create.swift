import ArgumentParser
import Foundation
import SeclabAPI
import SeclabOwner
import SeclabFormat
import SeclabKeys
import SeclabPassphrase
import SeclabPrimitives

extension Account {
    /// `seclab account create --email E [--emergency-kit PATH]`.
    struct Create: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Create an account: Secret Key, keypair and SRP verifier are made on this device.",
            discussion: """
                Shows the Secret Key once. It cannot be recovered: without it and the passphrase \
                the account's data is gone. Save the Emergency Kit somewhere durable.
                Example: seclab account create --email me@example.com --emergency-kit ~/seclab-kit.txt
                """
        )

        @OptionGroup var global: GlobalOptions
        @OptionGroup var unlock: UnlockOptions

        @Option(help: ArgumentHelp("The account's e-mail.", valueName: "email"))
        var email: String

        @Option(name: .customLong("emergency-kit"), help: ArgumentHelp("Write the Emergency Kit to this file (mode 0600; must not exist).", valueName: "path"))
        var emergencyKit: String?

        func validate() throws {
            try Validate.email(email)
            guard global.explicitServer != nil else {
                throw ValidationError("no server: pass --server URL or set SECLAB_SERVER")
            }
            if global.store.exists(ProfileStore.profileFile) {
                throw ValidationError("a profile already exists in \(global.store.directory.path); use --config-dir for another account")
            }
            if let emergencyKit {
                guard !FileManager.default.fileExists(atPath: emergencyKit) else {
                    throw ValidationError("\(emergencyKit) already exists; choose a new path for the Emergency Kit")
                }
                let parent = URL(fileURLWithPath: emergencyKit).deletingLastPathComponent().path
                guard FileManager.default.isWritableFile(atPath: parent) else {
                    throw ValidationError("cannot write the Emergency Kit into \(parent)")
                }
            }
        }

        func run() throws {
            let server = global.explicitServer!
            let store = global.store
            let unlocker = Unlocker(global, unlock)
            let passphrase = try unlocker.passphrase(prompt: "Choose a passphrase: ", confirm: true)
            let client = try Unlocker.client(server)
            // Before registering: once the server has the account, losing the Secret Key to a
            // directory we cannot write would make it unusable for good.
            try store.ensureDirectory()
            Terminal.progress("creating the account (deriving keys)")
            let account = try owner { () throws(OwnerError) in
                try OwnerAccount.register(client: client, email: email, passphrase: passphrase)
            }
            let secretKeyText = account.secretKey.text
            // The Secret Key is shown whatever happens next: it exists nowhere else yet.
            Terminal.output(line: "Account created for \(account.email) (id \(account.accountID.text)).")
            Terminal.output(line: "Secret Key: \(secretKeyText)")
            Terminal.warning("keep the Secret Key safe (Emergency Kit): nobody can recover it, and without it and your passphrase your data is gone.")
            try store.write(Profile(server: server, email: account.email, accountID: account.accountID.text, secretKey: secretKeyText),
                            ProfileStore.profileFile)
            if let emergencyKit {
                let kit = """
                    seclab Emergency Kit
                    Server:     \(server)
                    E-mail:     \(account.email)
                    Account ID: \(account.accountID.text)
                    Secret Key: \(secretKeyText)
                    Passphrase: ______________________________

                    Keep this kit somewhere safe. The Secret Key cannot be recovered by anyone.

                    """
                try store.writeFile(Array(kit.utf8), to: URL(fileURLWithPath: emergencyKit), exclusive: true)
                Terminal.note("Emergency Kit written to \(emergencyKit) (mode 0600); add your passphrase by hand, then store it offline")
            } else {
                Terminal.note("hint: write the Secret Key down now; this device keeps a copy in \(store.url(ProfileStore.profileFile).path)")
            }
        }
    }
}
