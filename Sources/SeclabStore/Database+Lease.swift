import AsyncKit
import NIOCore
import NIOPosix
import SQLKit

/// A pool reference for the completion handlers that give connections back.
/// Why @unchecked: EventLoopGroupConnectionPool synchronizes itself with a lock but is not
/// annotated Sendable by AsyncKit (the same reason as `SeclabDatabase.Pool`).
struct PoolHandle<Source: ConnectionPoolSource>: @unchecked Sendable {
    let pool: EventLoopGroupConnectionPool<Source>
}

extension SeclabDatabase {
    /// Check a connection out of `pool` within `timeout`, run `body` on it with a deadline on
    /// every statement, then give it back, or discard it when it was poisoned (a statement
    /// missed its deadline or met a database fault).
    func leased<Source: ConnectionPoolSource, R: Sendable>(
        _ pool: PoolHandle<Source>, timeout: TimeAmount, closeAtOnce: Bool,
        sql: (Source.Connection) -> any SQLDatabase, _ body: @escaping @Sendable (any SQLDatabase) async throws -> R
    ) async throws -> R where Source.Connection: Sendable {
        let connection = try await checkout(pool, timeout: timeout)
        let lease = ConnectionLease()
        let database = DeadlineSQLDatabase(
            base: sql(connection), lease: lease, timeout: timeout, counters: counters,
            isClosed: { connection.isClosed },
            onTimeout: { if closeAtOnce { _ = connection.close() } })
        let outcome: Result<R, any Error>
        do { outcome = .success(try await body(database)) } catch { outcome = .failure(error) }

        guard let fault = lease.fault else {
            pool.pool.releaseConnection(connection, logger: poolLogger)
            return try outcome.get()
        }
        // Any fault discards the connection: SQLite may have left a transaction open after a
        // full disk, PostgreSQL may point at a server that is going away.
        discard(connection, from: pool, lease: lease, closeAtOnce: closeAtOnce)
        // The fault wins over whatever the body made of the failed statement (a catch that
        // turned it into "duplicate" must not answer 409 for a database that is down).
        if case .failure = outcome { throw StoreError.unavailable(fault) }
        return try outcome.get()
    }

    /// A connection from `pool`, or `StoreError.unavailable` after `timeout`.
    private func checkout<Source: ConnectionPoolSource>(_ pool: PoolHandle<Source>, timeout: TimeAmount)
        async throws -> Source.Connection where Source.Connection: Sendable {
        let eventLoop = MultiThreadedEventLoopGroup.singleton.any()
        let promise = eventLoop.makePromise(of: Source.Connection.self)
        let once = Once()
        let milliseconds = Int(timeout.nanoseconds / 1_000_000)
        let counters = self.counters, logger = self.poolLogger
        let timer = eventLoop.scheduleTask(in: timeout) {
            guard once.claim() else { return }
            counters.checkoutTimedOut()
            promise.fail(StoreError.unavailable(.timeout(milliseconds: milliseconds)))
        }
        pool.pool.requestConnection(logger: logger, on: eventLoop).whenComplete { result in
            timer.cancel()
            if once.claim() {
                promise.completeWith(result)
            } else if case let .success(connection) = result {
                // Arrived after the caller gave up: straight back to the pool.
                pool.pool.releaseConnection(connection, logger: logger)
            }
        }
        do {
            return try await promise.futureResult.get()
        } catch {
            if let fault = DatabaseFault.classify(error) { throw StoreError.unavailable(fault) }
            throw error
        }
    }

    /// Close `connection` and only then hand it back, so the pool drops it (it prunes closed
    /// connections) and opens a fresh one when needed.
    private func discard<Source: ConnectionPoolSource>(_ connection: Source.Connection, from pool: PoolHandle<Source>,
                                                       lease: ConnectionLease, closeAtOnce: Bool) where Source.Connection: Sendable {
        counters.discardedConnection()
        let logger = self.poolLogger
        let close: @Sendable () -> Void = {
            connection.close().whenComplete { _ in pool.pool.releaseConnection(connection, logger: logger) }
        }
        if !closeAtOnce, let inFlight = lease.inFlight {
            // SQLite: the statement still runs on its thread; close after it returns.
            inFlight.whenComplete { _ in close() }
        } else {
            close()
        }
    }
}

extension DatabaseFault {
    /// Faults after which the connection itself is broken: no further statement is sent on it
    /// (after the others, ROLLBACK still runs).
    var needsReconnect: Bool {
        switch self {
        case .timeout, .unreachable, .connectionLost: return true
        case .readOnly, .outOfSpace, .busy, .storage: return false
        }
    }
}

extension SeclabDatabase {
    /// Run `operation` but answer within one deadline (`timeout`) whatever it does: after it,
    /// `StoreError.unavailable(.timeout)` is thrown and the operation, left running, has its
    /// result dropped. For checks that must answer in bounded time (`/readyz`), where a chain
    /// of statements each within its own deadline would still be too long.
    public func withinDeadline<R: Sendable>(_ operation: @escaping @Sendable () async throws -> R) async throws -> R {
        let eventLoop = MultiThreadedEventLoopGroup.singleton.any()
        let promise = eventLoop.makePromise(of: R.self)
        let once = Once()
        let fault = DatabaseFault.timeout(milliseconds: Int(timeout.nanoseconds / 1_000_000))
        let timer = eventLoop.scheduleTask(in: timeout) {
            if once.claim() { promise.fail(StoreError.unavailable(fault)) }
        }
        Task {
            let result: Result<R, any Error>
            do { result = .success(try await operation()) } catch { result = .failure(error) }
            timer.cancel()
            if once.claim() { promise.completeWith(result) }
        }
        return try await promise.futureResult.get()
    }
}
