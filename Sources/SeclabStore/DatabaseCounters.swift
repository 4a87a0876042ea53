import Synchronization

/// Counts of the database deadline machinery since the process started, for `/metrics`.
public final class DatabaseCounters: Sendable {
    private let statementTimeouts = Atomic<Int>(0)
    private let checkoutTimeouts = Atomic<Int>(0)
    private let closedTimeouts = Atomic<Int>(0)
    private let closedBefore = Atomic<Int>(0)
    private let discarded = Atomic<Int>(0)

    /// A snapshot of the counters.
    public struct Snapshot: Sendable, Equatable {
        /// Statements that missed their deadline.
        public var statementTimeouts: Int
        /// Connection checkouts (or waits for SQLite's write gate) that missed their deadline.
        public var checkoutTimeouts: Int
        /// Of `statementTimeouts`, those whose connection had already closed when the deadline
        /// fired: the statement the driver dropped, which would never have completed.
        public var timeoutsOnClosedConnections: Int
        /// Statements refused because their connection had closed since the checkout.
        public var closedBeforeStatement: Int
        /// Connections closed and dropped from the pool instead of being reused.
        public var discardedConnections: Int
    }

    init() {}

    /// The current counts.
    public var snapshot: Snapshot {
        Snapshot(statementTimeouts: statementTimeouts.load(ordering: .relaxed), checkoutTimeouts: checkoutTimeouts.load(ordering: .relaxed),
                 timeoutsOnClosedConnections: closedTimeouts.load(ordering: .relaxed),
                 closedBeforeStatement: closedBefore.load(ordering: .relaxed), discardedConnections: discarded.load(ordering: .relaxed))
    }

    func timedOut(onClosedConnection: Bool) {
        statementTimeouts.add(1, ordering: .relaxed)
        if onClosedConnection { closedTimeouts.add(1, ordering: .relaxed) }
    }
    func checkoutTimedOut() { checkoutTimeouts.add(1, ordering: .relaxed) }
    func closedBeforeStatement() { closedBefore.add(1, ordering: .relaxed) }
    func discardedConnection() { discarded.add(1, ordering: .relaxed) }
}
