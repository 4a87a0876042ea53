import SeclabStore
import Synchronization

/// Writes the audit rows of concurrent machine pulls together: group commit.
///
/// Why: every pull must write its audit row before it answers (fail closed), and
/// SQLite has one writer; one statement per pull made the audit insert the limit of the whole
/// server (about a third of the pull rate measured without it). Here a pull queues its row and
/// waits; a flusher (one starts when fewer than `maxFlushers` run) writes everything queued in one multi-row statement
/// (`Transaction.auditPulls`), and rows that arrive meanwhile go in the next one. A lone pull
/// is written at once, so nothing waits for a timer. Each row is still inserted only if its
/// slot exists with the verified hash at that moment, and each pull learns its own answer.
///
/// Why several flushers: with one, a flush whose statement never completed held
/// every later pull behind it: after a PostgreSQL restart, the server answered no pull at all.
/// Up to `maxFlushers` batches are written at once, so a slow or stuck flush holds only its
/// own batch, and that batch fails with 503 at the database deadline (every statement and
/// checkout has one, `SeclabDatabase`).
final class PullAuditWriter: Sendable {
    private struct Pending: Sendable {
        let pull: PullAudit
        let continuation: CheckedContinuation<Bool, any Error>
    }

    private struct State {
        var queue: [Pending] = []
        var flushers = 0
    }

    /// Rows per statement: 10 bind values each stays far under both engines' limits.
    static let maxBatch = 128
    /// Batches written at the same time (on SQLite they take turns at the write gate, each
    /// within the deadline).
    static let maxFlushers = 4

    private let database: SeclabDatabase
    private let state = Mutex(State())

    init(database: SeclabDatabase) { self.database = database }

    /// Write `pull`'s audit row if its slot still exists with `pull.authHash`; false when it
    /// does not (revoked since the pull authenticated). Throws when the write fails.
    func record(_ pull: PullAudit) async throws -> Bool {
        try await withCheckedThrowingContinuation { continuation in
            let startFlush = state.withLock { state -> Bool in
                state.queue.append(Pending(pull: pull, continuation: continuation))
                guard state.flushers < Self.maxFlushers else { return false }
                state.flushers += 1
                return true
            }
            if startFlush { Task { await self.flush() } }
        }
    }

    private func flush() async {
        while state.withLock({ state in
            if state.queue.isEmpty { state.flushers -= 1 }
            return !state.queue.isEmpty
        }) {
            // The batch is taken once the connection (and on SQLite the write turn) is ours, so
            // rows queued while this flusher waited go in with it.
            let taken = Mutex([Pending]())
            do {
                let written = try await database.writeStatement { tx in
                    let batch = self.state.withLock { Self.take(from: &$0.queue) }
                    taken.withLock { $0 = batch }
                    return try await tx.auditPulls(batch.map(\.pull))
                }
                for pending in taken.withLock({ $0 }) { pending.continuation.resume(returning: written.contains(pending.pull.outcome)) }
            } catch {
                // Failed before a batch was taken (no connection within the deadline): fail one
                // batch anyway, so queued pulls answer 503 instead of waiting for a database
                // that is not there.
                var batch = taken.withLock { $0 }
                if batch.isEmpty { batch = state.withLock { Self.take(from: &$0.queue) } }
                for pending in batch { pending.continuation.resume(throwing: error) }
            }
        }
    }

    /// Up to `maxBatch` rows with one set of conditions per slot and address (the statement
    /// answers per slot and address).
    private static func take(from queue: inout [Pending]) -> [Pending] {
        var batch: [Pending] = [], rest: [Pending] = []
        var conditions: [PullAudit.Outcome: PullAudit.Conditions] = [:]
        for pending in queue {
            let pull = pending.pull
            let condition = pull.conditions
            let seen = conditions[pull.outcome]
            if batch.count < maxBatch, seen == nil || seen == condition {
                conditions[pull.outcome] = condition
                batch.append(pending)
            } else {
                rest.append(pending)
            }
        }
        queue = rest
        return batch
    }
}
