public import Logging
public import SQLKit
@preconcurrency import AsyncKit
public import NIOCore
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

/// The few places where SQLite and PostgreSQL SQL differ (a small dialect value).
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
    /// How long a statement waits for another process's write lock (the statement deadline).
    let busyTimeoutMillis: Int

    func makeConnection(logger: Logger, on eventLoop: any EventLoop) -> EventLoopFuture<SQLiteConnection> {
        SQLiteConnection.open(storage: .file(path: path), threadPool: threadPool, logger: logger, on: eventLoop)
            .flatMap { connection in
                // busy_timeout replaces sqlite-nio's retry-forever busy handler with a bounded wait.
                connection.query("PRAGMA busy_timeout = \(busyTimeoutMillis)")
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
///
/// Nothing here waits on the database without a deadline: a connection checkout,
/// SQLite's in-process write gate and every statement each fail with
/// `StoreError.unavailable(.timeout)` after `timeout`. A connection whose statement missed
/// its deadline or broke is closed and dropped, never handed out again; errors that mean the
/// database cannot serve (unreachable, read-only, out of space) become
/// `StoreError.unavailable`, which the server answers with 503 and `Retry-After`.
public final class SeclabDatabase: Sendable {
    // Why @unchecked: EventLoopGroupConnectionPool synchronizes itself with a lock but is not
    // annotated Sendable by AsyncKit.
    enum Pool: @unchecked Sendable {
        case sqlite(EventLoopGroupConnectionPool<SQLiteWALSource>, NIOThreadPool)
        case postgres(EventLoopGroupConnectionPool<PostgresConnectionSource>)
    }

    /// The default deadline of a statement or a checkout (`SECLAB_DB_TIMEOUT_MS`).
    public static let defaultTimeoutMillis = 3000

    let pool: Pool
    /// The SQL differences of this engine.
    public let dialect: StoreDialect
    /// Where the data lives.
    public let location: DatabaseLocation
    let logger: Logger
    /// The pool's logger: it would log every failed connection attempt with the driver's full
    /// report; during an outage the server logs one line per refused request instead.
    let poolLogger: Logger
    /// SQLite allows one writer per file; serializing write transactions in-process keeps
    /// waiting writers from pinning the threads the lock holder needs (busy_timeout still
    /// covers a second process on the same file).
    let writeGate: AsyncSemaphore?
    /// The deadline of one statement, one checkout, one wait for the write gate.
    public let timeout: TimeAmount
    /// Timeouts and discarded connections so far.
    public let counters = DatabaseCounters()

    /// Open a pool. Nothing connects until the first query.
    public init(location: DatabaseLocation, logger: Logger, timeoutMillis: Int = SeclabDatabase.defaultTimeoutMillis) throws {
        let eventLoopGroup = MultiThreadedEventLoopGroup.singleton
        self.location = location
        timeout = .milliseconds(Int64(max(1, timeoutMillis)))
        // The query logs of SQLKit and the drivers print bind values (ciphertext, verifiers):
        // they stay off whatever the server's log level.
        var quiet = logger
        quiet.logLevel = max(logger.logLevel, .warning)
        self.logger = quiet
        var poolLogger = logger
        poolLogger.logLevel = .critical
        self.poolLogger = poolLogger
        // The pool's own request timeout only cleans up its wait list: ours fires first.
        let poolTimeout = timeout + .seconds(1)
        switch location {
        case let .sqlite(path):
            let threadPool = NIOThreadPool(numberOfThreads: 4)
            threadPool.start()
            let source = SQLiteWALSource(path: path, threadPool: threadPool, busyTimeoutMillis: max(1, timeoutMillis))
            pool = .sqlite(EventLoopGroupConnectionPool(source: source, maxConnectionsPerEventLoop: 4, requestTimeout: poolTimeout,
                                                        logger: poolLogger, on: eventLoopGroup), threadPool)
            dialect = .sqlite
            writeGate = AsyncSemaphore(limit: 1)
        case let .postgres(url):
            var configuration: SQLPostgresConfiguration
            do { configuration = try SQLPostgresConfiguration(url: url) } catch {
                throw StoreError.badDatabaseURL("cannot parse the postgres URL")
            }
            // The checkout deadline bounds how long a request waits for a connection; a connection
            // attempt itself may run longer and join the pool when the database answers. Why not
            // the same short deadline: PostgresNIO 1.33 fails a connect whose handshake passed its
            // deadline but leaves the channel open, and when PostgreSQL answers later (a pause
            // ends) the connection object is dropped open (an assertion failure in debug builds,
            // a leaked backend in release ones). Seen in the SIGSTOP test with a 1 s deadline.
            configuration.coreConfiguration.options.connectTimeout = max(timeout, .seconds(30))
            let source = PostgresConnectionSource(sqlConfiguration: configuration)
            pool = .postgres(EventLoopGroupConnectionPool(source: source, maxConnectionsPerEventLoop: 8, requestTimeout: poolTimeout,
                                                          logger: poolLogger, on: eventLoopGroup))
            dialect = .postgres
            writeGate = nil
        }
    }

    /// Run `body` on one pooled connection whose every statement has the deadline `timeout`
    /// (default: the database's).
    public func withConnection<R: Sendable>(timeout: TimeAmount? = nil, _ body: @escaping @Sendable (any SQLDatabase) async throws -> R) async throws -> R {
        switch pool {
        case let .sqlite(pool, _):
            // SQLite: a statement past its deadline is still running on a pool thread; the
            // connection is closed once it returns (closing under it is not safe).
            return try await leased(PoolHandle(pool: pool), timeout: timeout ?? self.timeout, closeAtOnce: false,
                                    sql: { $0.sql(queryLogLevel: nil) }, body)
        case let .postgres(pool):
            // PostgreSQL: closing the connection fails the stuck statement at once.
            return try await leased(PoolHandle(pool: pool), timeout: timeout ?? self.timeout, closeAtOnce: true,
                                    sql: { $0.sql(queryLogLevel: nil) }, body)
        }
    }

    /// Run `body` in one write transaction: committed if it returns, rolled back if it throws.
    /// Every multi-row change and its audit row go through here (fail closed).
    public func write<R: Sendable>(_ body: @escaping @Sendable (Transaction) async throws -> R) async throws -> R {
        try await write(timeout: nil, body)
    }

    /// `write` with another statement deadline (migrations, which may wait for another replica's lock).
    func write<R: Sendable>(timeout: TimeAmount?, _ body: @escaping @Sendable (Transaction) async throws -> R) async throws -> R {
        try await writeStatement(timeout: timeout) { tx in
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
        try await writeStatement(timeout: nil, body)
    }

    func writeStatement<R: Sendable>(timeout: TimeAmount?, _ body: @escaping @Sendable (Transaction) async throws -> R) async throws -> R {
        guard let writeGate else { return try await read(timeout: timeout, body) }
        let wait = timeout ?? self.timeout
        let counters = self.counters
        return try await writeGate.withPermit(within: wait, timedOut: {
            counters.checkoutTimedOut()
            return StoreError.unavailable(.timeout(milliseconds: Int(wait.nanoseconds / 1_000_000)))
        }()) { try await self.read(timeout: timeout, body) }
    }

    /// Run read-only statements on one connection (no transaction: each statement sees a
    /// committed snapshot).
    public func read<R: Sendable>(_ body: @escaping @Sendable (Transaction) async throws -> R) async throws -> R {
        try await read(timeout: nil, body)
    }

    func read<R: Sendable>(timeout: TimeAmount?, _ body: @escaping @Sendable (Transaction) async throws -> R) async throws -> R {
        let dialect = self.dialect
        return try await withConnection(timeout: timeout) { sql in try await body(Transaction(sql: sql, dialect: dialect)) }
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
