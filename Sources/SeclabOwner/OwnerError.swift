public import SeclabClient
import SeclabKeys

/// Errors of the owner's operations, in words the CLI can show as they are. None carries a
/// passphrase, key, value or plaintext name of someone else's data.
public enum OwnerError: Error, Sendable, CustomStringConvertible {
    /// SRP refused the proof, or a cached key set did not open: the two secrets do not match.
    /// Deliberately never says which one was wrong.
    case incorrectCredentials
    /// The cached session token was refused (expired or logged out elsewhere).
    case sessionExpired
    /// A vault, secret, machine or account that does not exist or is not the caller's.
    case notFound(String)
    /// Something with that name already exists.
    case conflict(String)
    /// Only the vault's owner can do this.
    case notOwner(String)
    /// Something the server sent failed to open or verify: fail closed, nothing used.
    case integrity(String)
    /// A share made by another account that does not open: that account (or the server) is
    /// at fault, and the share can only be declined.
    case brokenShare(String)
    /// A pinned public key changed (spec §6.1: a client MUST warn loudly).
    case pinnedKeyChanged(account: String, pinned: String, offered: String)
    /// A typed fingerprint does not match the key the server returned.
    case fingerprintMismatch(expected: String, actual: String)
    /// Bad input from the user (a name or value outside the spec's limits).
    case invalidInput(String)
    /// Transport or other server answers.
    case client(ClientError)

    /// A one-line message.
    public var description: String {
        switch self {
        case .incorrectCredentials: return "incorrect passphrase or Secret Key"
        case .sessionExpired: return "the session expired or was ended"
        case let .notFound(what): return "\(what) not found"
        case let .conflict(what): return what
        case let .notOwner(what): return what
        case let .integrity(what): return "integrity check failed: \(what); nothing was used or saved"
        case let .brokenShare(what): return what
        case let .pinnedKeyChanged(account, pinned, offered):
            return "THE PUBLIC KEY OF \(account) HAS CHANGED (pinned \(pinned), server now offers \(offered)): refusing to use it"
        case let .fingerprintMismatch(expected, actual):
            return "fingerprint mismatch: you gave \(expected), the server's key has \(actual)"
        case let .invalidInput(what): return what
        case let .client(error): return error.description
        }
    }

    /// Map a key-hierarchy failure of data the server sent to a fail-closed integrity error.
    static func opened(_ error: KeysError) -> OwnerError { .integrity(error.description) }
}

/// Run a server call on behalf of a bearer session and translate its failure.
/// `what` names the object for a 404 (e.g. "vault 'prod'").
func call<T>(_ what: String, _ body: () throws(ClientError) -> T) throws(OwnerError) -> T {
    do {
        return try body()
    } catch {
        throw translate(error, what: what)
    }
}

func translate(_ error: ClientError, what: String) -> OwnerError {
    switch error {
    case let .server(status, code, message, _):
        if status == 401 { return .sessionExpired }
        if status == 404 { return .notFound(what) }
        if status == 403 { return .notOwner("\(message.isEmpty ? "only the vault's owner can do this" : message) (\(what))") }
        if status == 409 { return .conflict("the server reports a conflict for \(what): \(message)") }
        _ = code
        return .client(error)
    case .integrity(let keys): return .integrity(keys.description)
    default: return .client(error)
    }
}
