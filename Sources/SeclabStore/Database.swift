public import Logging
public import SQLKit
@preconcurrency import AsyncKit
import NIOCore
import NIOPosix
import PostgresKit
import SQLiteKit
import SQLiteNIO
#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif

/// Which engine a database URL selects.
public enum DatabaseLocation: Sendable, Equatable, CustomStringConvertible {
    /// An SQLite file (the default, `sqlite:PATH`).
    case sqlite(path: String)
    /// A PostgreSQL server (`postgres://…` or `postgresql://…`).
    case postgres(url: String)

    /// Parse `sqlite:PATH` or `postgres://…`.
    public init(url: String) throws(StoreError) {
        if url.hasPrefix("sqlite:") {
            let path = String(url.dropFirst("sqlite:".count))
            guard !path.isEmpty else { throw .badDatabaseURL("sqlite: needs a file path, e.g. sqlite:./seclab.db") }
            self = .sqlite(path: path)
        } else if url.hasPrefix("postgres://") || url.hasPrefix("postgresql://") {
            self = .postgres(url: url)
        } else {
            throw .badDatabaseURL("expected sqlite:PATH or postgres://USER@HOST:PORT/DB")
        }
    }

    /// The engine and, for SQLite, the path; never the PostgreSQL password.
    public var description: String {
        switch self {
        case let .sqlite(path): return "sqlite:\(path)"
        case .postgres: return "postgres"
        }
    }
}

/// The few places where SQLite and PostgreSQL SQL differ (style.md: a small dialect value).
public struct StoreDialect: Sendable {
    /// The engine name, for logs and metrics.
    public let name: String
    /// The statement that opens a write transaction. SQLite takes the write lock up front
    /// (`IMMEDIATE`) so two writers never deadlock on a lock upgrade.
    let beginWrite: String
    /// The suffix that locks the selected rows until commit (PostgreSQL), empty for SQLite
    /// whose write transactions are already serialized.
    let forUpdate: String
    /// The column definition of an auto-increasing integer primary key.
    let autoIncrementPrimaryKey: String

    static let sqlite = StoreDialect(name: "sqlite", beginWrite: "BEGIN IMMEDIATE", forUpdate: "",
                                     autoIncrementPrimaryKey: "INTEGER PRIMARY KEY AUTOINCREMENT")
    static let postgres = StoreDialect(name: "postgres", beginWrite: "BEGIN", forUpdate: " FOR UPDATE",
                                       autoIncrementPrimaryKey: "BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY")
}

/// An SQLite connection source that sets WAL mode, a busy timeout and foreign keys on every
/// new connection.
struct SQLiteWALSource: ConnectionPoolSource {
    let path: String
    let threadPool: NIOThreadPool

    func makeConnection(logger: Logger, on eventLoop: any EventLoop) -> EventLoopFuture<SQLiteConnection> {
        SQLiteConnection.open(storage: .file(path: path), threadPool: threadPool, logger: logger, on: eventLoop)
            .flatMap { connection in
                // busy_timeout replaces sqlite-nio's retry-forever busy handler with a bounded wait.
                connection.query("PRAGMA busy_timeout = 5000")
                    .flatMap { _ in connection.query("PRAGMA journal_mode = WAL") }
                    .flatMap { _ in connection.query("PRAGMA synchronous = NORMAL") }
                    .flatMap { _ in connection.query("PRAGMA foreign_keys = ON") }
                    .map { _ in connection }
                    .flatMapErrorThrowing { error in
                        _ = connection.close()
                        throw error
                    }
            }
    }
}

/// The one database handle of a server process: a connection pool on either engine, with
/// `read` for single statements and `write` for transactions.
public final class SeclabDatabase: Sendable {
    // Why @unchecked: EventLoopGroupConnectionPool synchronizes itself with a lock but is not
    // annotated Sendable by AsyncKit.
    enum Pool: @unchecked Sendable {
        case sqlite(EventLoopGroupConnectionPool<SQLiteWALSource>, NIOThreadPool)
        case postgres(EventLoopGroupConnectionPool<PostgresConnectionSource>)
    }

    let pool: Pool
    /// The SQL differences of this engine.
    public let dialect: StoreDialect
    /// Where the data lives.
    public let location: DatabaseLocation
    let logger: Logger
    /// SQLite allows one writer per file; serializing write transactions in-process keeps
    /// waiting writers from pinning the threads the lock holder needs (busy_timeout still
    /// covers a second process on the same file).
    let writeGate: AsyncSemaphore?

    /// Open a pool. Nothing connects until the first query.
    public init(location: DatabaseLocation, logger: Logger) throws {
        let eventLoopGroup = MultiThreadedEventLoopGroup.singleton
        self.location = location
        // The query logs of SQLKit and the drivers print bind values (ciphertext, verifiers):
        // they stay off whatever the server's log level (issue 3 §5).
        var quiet = logger
        quiet.logLevel = max(logger.logLevel, .warning)
        self.logger = quiet
        switch location {
        case let .sqlite(path):
            let threadPool = NIOThreadPool(numberOfThreads: 4)
            threadPool.start()
            let source = SQLiteWALSource(path: path, threadPool: threadPool)
            pool = .sqlite(EventLoopGroupConnectionPool(source: source, maxConnectionsPerEventLoop: 4, logger: quiet, on: eventLoopGroup), threadPool)
            dialect = .sqlite
            writeGate = AsyncSemaphore(limit: 1)
        case let .postgres(url):
            let configuration: SQLPostgresConfiguration
            do { configuration = try SQLPostgresConfiguration(url: url) } catch {
                throw StoreError.badDatabaseURL("cannot parse the postgres URL")
            }
            let source = PostgresConnectionSource(sqlConfiguration: configuration)
            pool = .postgres(EventLoopGroupConnectionPool(source: source, maxConnectionsPerEventLoop: 8, logger: quiet, on: eventLoopGroup))
            dialect = .postgres
            writeGate = nil
        }
    }

    /// Run `body` on one pooled connection.
    public func withConnection<R: Sendable>(_ body: @escaping @Sendable (any SQLDatabase) async throws -> R) async throws -> R {
        switch pool {
        case let .sqlite(pool, _):
            return try await pool.withConnection(logger: logger) { connection in
                connection.eventLoop.makeFutureWithTask { try await body(connection.sql(queryLogLevel: nil)) }
            }.get()
        case let .postgres(pool):
            return try await pool.withConnection(logger: logger) { connection in
                connection.eventLoop.makeFutureWithTask { try await body(connection.sql(queryLogLevel: nil)) }
            }.get()
        }
    }

    /// Run `body` in one write transaction: committed if it returns, rolled back if it throws.
    /// Every multi-row change and its audit row go through here (issue 3 §4, fail closed).
    public func write<R: Sendable>(_ body: @escaping @Sendable (Transaction) async throws -> R) async throws -> R {
        try await writeStatement { tx in
            try await tx.sql.raw(SQLQueryString(tx.dialect.beginWrite)).run()
            do {
                let result = try await body(tx)
                try await tx.sql.raw("COMMIT").run()
                return result
            } catch {
                try? await tx.sql.raw("ROLLBACK").run()
                throw error
            }
        }
    }

    /// Run one write statement in its own implicit transaction (autocommit): one round trip
    /// instead of three for a change that is a single atomic statement. Serialized with the
    /// write transactions on SQLite (`write` runs through here).
    public func writeStatement<R: Sendable>(_ body: @escaping @Sendable (Transaction) async throws -> R) async throws -> R {
        guard let writeGate else { return try await read(body) }
        return try await writeGate.withPermit { try await self.read(body) }
    }

    /// Run read-only statements on one connection (no transaction: each statement sees a
    /// committed snapshot).
    public func read<R: Sendable>(_ body: @escaping @Sendable (Transaction) async throws -> R) async throws -> R {
        let dialect = self.dialect
        return try await withConnection { sql in try await body(Transaction(sql: sql, dialect: dialect)) }
    }

    /// Close every connection.
    public func shutdown() async {
        switch pool {
        case let .sqlite(pool, threadPool):
            try? await pool.shutdownAsync()
            try? await threadPool.shutdownGracefully()
        case let .postgres(pool):
            try? await pool.shutdownAsync()
        }
    }
}

/// One connection inside `SeclabDatabase.read`/`write`; the store's queries are extensions.
public struct Transaction: Sendable {
    /// The connection.
    public let sql: any SQLDatabase
    /// Its dialect.
    public let dialect: StoreDialect
}
