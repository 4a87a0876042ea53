import ArgumentParser
import Foundation
import SeclabAPI
import SeclabClient
import SeclabOwner
import SeclabFormat
import SeclabKeys
import SeclabPassphrase
import SeclabPrimitives

/// Resolves the profile, the server, the two secrets and a session for one command.
/// The passphrase is read once and both Argon2id derivations run at most once per command,
/// except when a cached session turns out to be dead and a fresh login is needed.
struct Unlocker {
    let global: GlobalOptions
    let unlock: UnlockOptions
    let stdin: StandardInput

    init(_ global: GlobalOptions, _ unlock: UnlockOptions, stdin: StandardInput = StandardInput()) {
        self.global = global
        self.unlock = unlock
        self.stdin = stdin
    }

    /// An API client for `url`.
    static func client(_ url: String) throws(CLIFailure) -> APIClient {
        do { return try APIClient(baseURL: url) } catch { throw CLIFailure(OwnerError.client(error)) }
    }

    /// The passphrase from `--passphrase-stdin`, else `SECLAB_PASSPHRASE`, else the terminal.
    func passphrase(prompt: String = "Passphrase: ", confirm: Bool = false, environment: String = EnvironmentNames.passphrase) throws(CLIFailure) -> NormalizedPassphrase {
        let text: String
        if unlock.passphraseStdin {
            guard let line = stdin.nextLine() else { throw CLIFailure("--passphrase-stdin given but stdin has no passphrase line", status: .usage) }
            text = line
        } else if let env = ProcessInfo.processInfo.environment[environment], !env.isEmpty {
            text = env
        } else {
            guard let typed = Terminal.readHidden(prompt: prompt) else {
                throw CLIFailure("no terminal to ask for the passphrase", hint: "set \(environment) or use --passphrase-stdin", status: .usage)
            }
            if confirm {
                guard Terminal.readHidden(prompt: "Repeat: ") == typed else { throw CLIFailure("the passphrases do not match", status: .usage) }
            }
            text = typed
        }
        do { return try NormalizedPassphrase(normalizing: text) } catch {
            throw CLIFailure("the passphrase is empty", hint: "choose a passphrase with at least one non-space character", status: .usage)
        }
    }

    /// Run `body` with a session: the cached one if fresh (one Argon2id), else an SRP login
    /// (two). A cached token the server refuses falls back to one fresh login, once.
    func withSession<T>(_ body: (OwnerSession) throws(CLIFailure) -> T) throws(CLIFailure) -> T {
        try withSession { session, _ throws(CLIFailure) in try body(session) }
    }

    /// `withSession`, also handing `body` the passphrase read for it (a passphrase change
    /// proves the current one to the server).
    func withSession<T>(_ body: (OwnerSession, NormalizedPassphrase) throws(CLIFailure) -> T) throws(CLIFailure) -> T {
        let store = global.store
        let profile = try store.profile()
        let server = global.explicitServer ?? profile.server
        let client = try Self.client(server)
        let secretKey: SecretKey
        do { secretKey = try SecretKey(text: profile.secretKey) } catch {
            throw CLIFailure("the Secret Key in \(store.url(ProfileStore.profileFile).path) is damaged: \(error)",
                             hint: "log in again with `seclab account login --email \(profile.email)` and your Emergency Kit", status: .profile)
        }
        let passphrase = try self.passphrase()
        let pins = try store.pins()
        if let cached = try store.read(CachedSession.self, ProfileStore.sessionFile), cached.isFresh,
           cached.account.accountID == profile.accountID, cached.server == client.baseURL {
            Terminal.progress("unlocking")
            let session = try owner { () throws(OwnerError) in
                try OwnerSession.resume(client: client, token: cached.token, expiresAt: cached.expiresAt, keySet: cached.account,
                                        passphrase: passphrase, secretKey: secretKey, pins: pins)
            }
            do {
                return try finish(session, store: store) { session throws(CLIFailure) in try body(session, passphrase) }
            } catch let failure where failure.isSessionExpired {
                store.remove(ProfileStore.sessionFile)
            }
        }
        Terminal.progress("logging in (deriving keys)")
        let session = try owner { () throws(OwnerError) in
            try OwnerAccount.login(client: client, email: profile.email, passphrase: passphrase, secretKey: secretKey,
                                   expectedAccountID: try? SeclabID(text: profile.accountID))
        }
        session.pins = pins
        try store.write(CachedSession(server: client.baseURL, session: session), ProfileStore.sessionFile)
        return try finish(session, store: store) { session throws(CLIFailure) in try body(session, passphrase) }
    }

    private func finish<T>(_ session: OwnerSession, store: ProfileStore, _ body: (OwnerSession) throws(CLIFailure) -> T) throws(CLIFailure) -> T {
        let before = session.pins
        do {
            let result = try body(session)
            if session.pins != before { try store.write(session.pins, ProfileStore.pinsFile) }
            return result
        } catch {
            // New first-use pins are kept even when the command failed later: a pin only
            // records what the server showed, and losing it would weaken the change warning.
            if session.pins != before { try? store.write(session.pins, ProfileStore.pinsFile) }
            throw error
        }
    }
}
