import Logging
import NIOCore
import SQLKit
import Synchronization

/// A flag that exactly one of several racers can claim: whoever claims it completes the
/// promise they race for, the others do nothing.
final class Once: Sendable {
    private let claimed = Atomic<Bool>(false)
    /// True for the first caller only.
    func claim() -> Bool { !claimed.exchange(true, ordering: .acquiringAndReleasing) }
}

/// What happened to one checked-out connection: the fault that poisoned it, if any, and the
/// driver's future of the statement last sent on it.
final class ConnectionLease: Sendable {
    private struct State {
        var fault: DatabaseFault?
        var inFlight: EventLoopFuture<Void>?
    }
    private let state = Mutex(State())

    /// The first fault seen on this connection; once set, no statement runs on it again.
    var fault: DatabaseFault? { state.withLock { $0.fault } }
    /// The driver's future of the last statement (it may outlive its deadline).
    var inFlight: EventLoopFuture<Void>? { state.withLock { $0.inFlight } }

    func record(_ fault: DatabaseFault) { state.withLock { if $0.fault == nil { $0.fault = fault } } }
    func started(_ future: EventLoopFuture<Void>) { state.withLock { $0.inFlight = future } }
}

/// The connection as the store's queries see it: every statement has a deadline.
///
/// Why: PostgresNIO 1.33 drops a query written to a connection whose channel has
/// already closed (`channel.write(…, promise: nil)`), so its future never completes; a
/// PostgreSQL paused or cut off mid-statement never answers either. A statement that misses
/// the deadline fails with `StoreError.unavailable(.timeout)` at the deadline whatever the
/// driver does, and poisons its connection, which is then discarded, never reused. A
/// statement that fails with a database fault (connection lost, disk full, read-only) also
/// poisons the connection; after a broken connection a transaction's later statements fail
/// at once.
struct DeadlineSQLDatabase: SQLDatabase {
    let base: any SQLDatabase
    let lease: ConnectionLease
    let timeout: TimeAmount
    let counters: DatabaseCounters
    /// True once the driver knows the connection is closed.
    let isClosed: @Sendable () -> Bool
    /// Called once when a statement misses its deadline (PostgreSQL: close the connection now,
    /// which fails the stuck statement).
    let onTimeout: @Sendable () -> Void

    var logger: Logger { base.logger }
    var eventLoop: any EventLoop { base.eventLoop }
    var version: (any SQLDatabaseReportedVersion)? { base.version }
    var dialect: any SQLDialect { base.dialect }
    var queryLogLevel: Logger.Level? { base.queryLogLevel }

    func execute(sql query: any SQLExpression, _ onRow: @escaping @Sendable (any SQLRow) -> ()) -> EventLoopFuture<Void> {
        if let fault = lease.fault, fault.needsReconnect { return eventLoop.makeFailedFuture(StoreError.unavailable(fault)) }
        guard !isClosed() else {
            // Closed under us since the checkout (PostgreSQL restarted, backend terminated):
            // sending now would be the write the driver drops.
            counters.closedBeforeStatement()
            lease.record(.connectionLost)
            return eventLoop.makeFailedFuture(StoreError.unavailable(.connectionLost))
        }
        let promise = eventLoop.makePromise(of: Void.self)
        let once = Once()
        let lease = self.lease, counters = self.counters, isClosed = self.isClosed, onTimeout = self.onTimeout
        let fault = DatabaseFault.timeout(milliseconds: Int(timeout.nanoseconds / 1_000_000))
        let timer = eventLoop.scheduleTask(in: timeout) {
            guard once.claim() else { return }
            counters.timedOut(onClosedConnection: isClosed())
            lease.record(fault)
            onTimeout()
            promise.fail(StoreError.unavailable(fault))
        }
        let underlying = base.execute(sql: query, onRow)
        lease.started(underlying)
        underlying.whenComplete { result in
            timer.cancel()
            guard once.claim() else { return }
            switch result {
            case .success:
                promise.succeed(())
            case let .failure(error):
                if let fault = DatabaseFault.classify(error) {
                    lease.record(fault)
                    promise.fail(StoreError.unavailable(fault))
                } else {
                    promise.fail(error)
                }
            }
        }
        return promise.futureResult
    }

    func execute(sql query: any SQLExpression, _ onRow: @escaping @Sendable (any SQLRow) -> ()) async throws {
        try await execute(sql: query, onRow).get()
    }
}
