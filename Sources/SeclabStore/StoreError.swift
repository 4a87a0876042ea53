/// Errors of the storage layer. None carries row content: only what kind of thing failed.
public enum StoreError: Error, Equatable, Sendable, CustomStringConvertible {
    /// A unique id or e-mail already exists (maps to 409).
    case duplicate(String)
    /// The addressed row does not exist or is not visible to the caller (maps to 404).
    case notFound(String)
    /// A precondition on the current state failed (maps to 409), e.g. a rekey slot-set mismatch.
    case conflict(String)
    /// The database URL is not one this server understands.
    case badDatabaseURL(String)
    /// The database schema is newer than this build.
    case schemaTooNew(found: Int, known: Int)
    /// The database cannot serve right now (maps to 503 with Retry-After).
    case unavailable(DatabaseFault)

    /// A one-line message without content.
    public var description: String {
        switch self {
        case let .duplicate(what): return "\(what) already exists"
        case let .notFound(what): return "\(what) not found"
        case let .conflict(why): return why
        case let .badDatabaseURL(why): return "bad database URL: \(why)"
        case let .schemaTooNew(found, known):
            return "database schema version \(found) is newer than this server knows (\(known)); upgrade seclab-server"
        case let .unavailable(fault): return "database unavailable: \(fault)"
        }
    }
}
