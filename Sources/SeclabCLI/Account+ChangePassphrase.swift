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
    /// `seclab account change-passphrase`.
    struct ChangePassphrase: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "change-passphrase",
            abstract: "Change the passphrase: only the account private key is re-wrapped and the verifier replaced.",
            discussion: """
                No vault or secret is re-encrypted. Other sessions of the account end. The new \
                passphrase comes from env SECLAB_NEW_PASSPHRASE, the second line of stdin with \
                --passphrase-stdin, or the terminal.
                Example: seclab account change-passphrase
                """
        )

        @OptionGroup var global: GlobalOptions
        @OptionGroup var unlock: UnlockOptions

        func run() throws {
            let store = global.store
            let unlocker = Unlocker(global, unlock)
            let profile = try store.profile()
            try unlocker.withSession { session, currentPassphrase throws(CLIFailure) in
                let newPassphrase = try unlocker.passphrase(prompt: "New passphrase: ", confirm: true, environment: EnvironmentNames.newPassphrase)
                let secretKey: SecretKey
                do { secretKey = try SecretKey(text: profile.secretKey) } catch {
                    throw CLIFailure("the profile's Secret Key is damaged", status: .profile)
                }
                Terminal.progress("re-wrapping the account key (deriving keys)")
                let keySet = try owner { () throws(OwnerError) in
                    try OwnerAccount.changePassphrase(session, currentPassphrase: currentPassphrase, newPassphrase: newPassphrase,
                                                      secretKey: secretKey)
                }
                try store.write(CachedSession(server: session.client.baseURL, session: session, account: keySet), ProfileStore.sessionFile)
                Terminal.note("passphrase changed; other sessions of this account have ended")
            }
        }
    }
}
