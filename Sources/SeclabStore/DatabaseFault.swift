import AsyncKit
import NIOCore
import NIOPosix
import PostgresNIO
import SQLiteNIO

/// Why the database cannot serve a request right now: a condition that passes by itself or
/// by an operator's hand (PostgreSQL restarting, a disk filling up), never a bad request.
/// The server answers 503 with `Retry-After` for these and logs the reason.
public enum DatabaseFault: Sendable, Equatable, CustomStringConvertible {
    /// A statement or a connection checkout missed its deadline (`SECLAB_DB_TIMEOUT_MS`).
    case timeout(milliseconds: Int)
    /// No connection could be opened (refused, reset, the server shutting down or starting).
    case unreachable
    /// The connection broke while in use.
    case connectionLost
    /// The database accepts reads only (a standby, a read-only file or file system).
    case readOnly
    /// The database is out of disk space or memory.
    case outOfSpace
    /// Another writer or too many clients hold the database.
    case busy
    /// The storage under the database failed a read or write (an I/O error).
    case storage

    /// One line for the server log; nothing from the driver's message (it can quote SQL).
    public var description: String {
        switch self {
        case let .timeout(milliseconds): return "no answer within the \(milliseconds) ms deadline (SECLAB_DB_TIMEOUT_MS)"
        case .unreachable: return "cannot connect to the database"
        case .connectionLost: return "the database connection broke"
        case .readOnly: return "the database is read-only"
        case .outOfSpace: return "the database is out of space"
        case .busy: return "the database is busy (locked or out of connections)"
        case .storage: return "the database's storage failed a read or write (I/O error)"
        }
    }

    /// A short label for metrics.
    public var label: String {
        switch self {
        case .timeout: return "timeout"
        case .unreachable: return "unreachable"
        case .connectionLost: return "connection_lost"
        case .readOnly: return "read_only"
        case .outOfSpace: return "out_of_space"
        case .busy: return "busy"
        case .storage: return "storage"
        }
    }

    /// The fault a driver error stands for, or nil when the error is about the statement
    /// itself (a constraint, a syntax error): those keep their meaning and are not retried.
    static func classify(_ error: any Error) -> DatabaseFault? {
        switch error {
        case let error as StoreError:
            if case let .unavailable(fault) = error { return fault }
            return nil
        case let error as PSQLError:
            return classify(postgres: error)
        case let error as SQLiteError:
            return classify(sqlite: error.reason)
        case let error as ConnectionPoolTimeoutError:
            switch error { case .connectionRequestTimeout: return .busy }
        case is ConnectionPoolError:
            return .unreachable
        case is NIOConnectionError, is IOError:
            return .unreachable
        case let error as ChannelError:
            if case .connectTimeout = error { return .unreachable }
            return .connectionLost
        default:
            return nil
        }
    }

    private static func classify(postgres error: PSQLError) -> DatabaseFault? {
        switch error.code {
        case .server:
            // PostgreSQL's SQLSTATE classes (Appendix A of its manual).
            let state = error.serverInfo?[.sqlState] ?? ""
            if state == "25006" { return .readOnly }  // read_only_sql_transaction: a standby after failover
            if state == "53100" || state == "53200" { return .outOfSpace }  // disk_full, out_of_memory
            if state == "53300" || state == "55P03" { return .busy }  // too_many_connections, lock_not_available
            if state == "57014" { return .busy }  // query_canceled (statement_timeout on the server)
            if state.hasPrefix("57P") { return .unreachable }  // admin/crash shutdown, cannot connect now
            if state.hasPrefix("08") { return .connectionLost }  // connection exception
            if state.hasPrefix("58") { return .storage }  // system_error, io_error
            return nil
        case .connectionError, .uncleanShutdown, .poolClosed:
            return .unreachable
        case .serverClosedConnection, .clientClosedConnection, .messageDecodingFailure, .unexpectedBackendMessage:
            return .connectionLost
        default:
            return nil
        }
    }

    private static func classify(sqlite reason: SQLiteError.Reason) -> DatabaseFault? {
        switch reason {
        case .full, .noMemory, .ioErrorNoMemory: return .outOfSpace
        case .readOnly, .readonlyInRecovery, .readonlyCantLock, .readonlyInRollback, .readonlyBackingMoved, .readonlyDirectory:
            return .readOnly
        case .busy, .busyTimeout, .busyInRecovery, .busyInSnapshot, .locked: return .busy
        case .cantOpen, .cantOpenDirectory, .cantOpenInvalidPath, .permission: return .unreachable
        case .ioError, .ioErrorFailedRead, .ioErrorIncompleteRead, .ioErrorFailedWrite, .ioErrorFailedSync,
             .ioErrorFailedDirSync, .ioErrorFailedTruncate, .ioErrorFailedStat, .ioErrorFailedDelete, .ioErrorFailedAccess,
             .ioErrorFailedSharedMemOpen, .ioErrorFailedSharedMemSize, .ioErrorFailedSharedMemMap, .ioErrorFailedMemoryMap:
            return .storage
        default: return nil
        }
    }
}
