import ArgumentParser
import Foundation
import SeclabAPI
import SeclabClient
import SeclabOwner
import SeclabFormat
import SeclabKeys
import SeclabPassphrase
import SeclabPrimitives
import SeclabHTTP

/// The documented exit codes of `seclab` (docs/cli.md). Scripts rely on them.
public enum ExitStatus: Int32, Sendable {
    /// Success.
    case ok = 0
    /// Any other failure (server refused for another reason, throttled, declined confirmation).
    case failure = 1
    /// No usable profile: not set up on this device, or a profile file is unreadable.
    case profile = 2
    /// Incorrect passphrase or Secret Key, or the session was refused.
    case authentication = 3
    /// The vault, secret, machine or account does not exist (or is not yours).
    case notFound = 4
    /// The server could not be reached (connection, DNS, TLS, timeout).
    case unreachable = 5
    /// Integrity failure: data from the server did not verify, or a pinned key changed. Fail closed.
    case integrity = 6
    /// Already exists, or ambiguous.
    case conflict = 7
    /// Only the vault's owner may do this.
    case notPermitted = 8
    /// Bad command line (swift-argument-parser's EX_USAGE).
    case usage = 64
}

/// A failure reported as `seclab: error: …` and `seclab: hint: …` with a documented exit code.
struct CLIFailure: Error {
    let message: String
    let hint: String?
    let status: ExitStatus
    /// True when a cached session token was refused: the caller may log in afresh once.
    private(set) var isSessionExpired = false

    init(_ message: String, hint: String? = nil, status: ExitStatus = .failure) {
        self.message = message
        self.hint = hint
        self.status = status
    }

    /// The one mapping from library errors to messages, hints and exit codes.
    init(_ error: OwnerError) {
        switch error {
        case .incorrectCredentials:
            self.init(error.description, hint: "check the passphrase, and the Secret Key against your Emergency Kit", status: .authentication)
        case .sessionExpired:
            self.init(error.description, hint: "run `seclab account login`", status: .authentication)
            isSessionExpired = true
        case .notFound:
            self.init(error.description, hint: "see `seclab vault list` and `seclab secret list VAULT`", status: .notFound)
        case .conflict:
            self.init(error.description, hint: "choose another name, or name the vault by its id (`seclab vault list --json`)", status: .conflict)
        case .notOwner:
            self.init(error.description, hint: "ask the vault's owner", status: .notPermitted)
        case .integrity:
            self.init(error.description, hint: "the server or the network may be tampering with data; report this to the server's operator", status: .integrity)
        case .brokenShare:
            self.init(error.description, hint: "decline it with `seclab vault decline VAULT_ID` (see `seclab vault invites`)", status: .integrity)
        case .pinnedKeyChanged:
            self.init(error.description, hint: "verify the new fingerprint with its owner out of band; if it is right, remove the old entry from pins.json in the profile directory", status: .integrity)
        case .fingerprintMismatch:
            self.init(error.description, hint: "do not share: check the fingerprint with the grantee out of band", status: .integrity)
        case .invalidInput:
            self.init(error.description, status: .usage)
        case let .client(client):
            switch client {
            case .transport(let http):
                if case .tls = http {
                    self.init(http.description, hint: "check the server's certificate or SECLAB_CA_FILE", status: .unreachable)
                } else {
                    self.init(http.description, hint: "check --server / SECLAB_SERVER and that the server is running", status: .unreachable)
                }
            case .unexpectedResponse, .integrity:
                self.init(client.description, hint: "the server may be tampering with data; nothing was used", status: .integrity)
            case let .server(status, _, _, retryAfter):
                if status == 429 {
                    self.init(client.description, hint: "wait \(retryAfter ?? 60) s and try again", status: .failure)
                } else {
                    self.init(client.description, status: .failure)
                }
            }
        }
    }
}

/// Run a library call and turn its error into a `CLIFailure`.
func owner<T>(_ body: () throws(OwnerError) -> T) throws(CLIFailure) -> T {
    do { return try body() } catch { throw CLIFailure(error) }
}
