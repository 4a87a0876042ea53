import SeclabStore
import Synchronization

/// Writes the audit rows of concurrent machine pulls together: group commit.
///
/// Why: every pull must write its audit row before it answers (issue 3 §1, fail closed), and
/// SQLite has one writer; one statement per pull made the audit insert the limit of the whole
/// server (about a third of the pull rate measured without it). Here a pull queues its row and
/// waits; whoever finds no flush running writes everything queued in one multi-row statement
/// (`Transaction.auditPulls`), and rows that arrive meanwhile go in the next one. A lone pull
/// is written at once, so nothing waits for a timer. Each row is still inserted only if its
/// slot exists with the verified hash at that moment, and each pull learns its own answer.
final class PullAuditWriter: Sendable {
    private struct Pending {
        let pull: PullAudit
        let continuation: CheckedContinuation<Bool, any Error>
    }

    private struct State {
        var queue: [Pending] = []
        var flushing = false
    }

    /// Rows per statement: 6 bind values each stays far under both engines' limits.
    static let maxBatch = 128

    private let database: SeclabDatabase
    private let state = Mutex(State())

    init(database: SeclabDatabase) { self.database = database }

    /// Write `pull`'s audit row if its slot still exists with `pull.authHash`; false when it
    /// does not (revoked since the pull authenticated). Throws when the write fails.
    func record(_ pull: PullAudit) async throws -> Bool {
        try await withCheckedThrowingContinuation { continuation in
            let startFlush = state.withLock { state -> Bool in
                state.queue.append(Pending(pull: pull, continuation: continuation))
                guard !state.flushing else { return false }
                state.flushing = true
                return true
            }
            if startFlush { Task { await self.flush() } }
        }
    }

    private func flush() async {
        while true {
            let batch = state.withLock { state -> [Pending] in
                let batch = Self.take(from: &state.queue)
                if batch.isEmpty { state.flushing = false }
                return batch
            }
            if batch.isEmpty { return }
            do {
                let pulls = batch.map(\.pull)
                let written = try await database.writeStatement { tx in try await tx.auditPulls(pulls) }
                for pending in batch { pending.continuation.resume(returning: written.contains(pending.pull.outcomeKey)) }
            } catch {
                for pending in batch { pending.continuation.resume(throwing: error) }
            }
        }
    }

    /// Up to `maxBatch` rows with one set of conditions per slot and address (the statement
    /// answers per slot and address).
    private static func take(from queue: inout [Pending]) -> [Pending] {
        var batch: [Pending] = [], rest: [Pending] = []
        var conditions: [String: String] = [:]
        for pending in queue {
            let pull = pending.pull
            let condition = "\(pull.authHash)|\(pull.expectedRevision)|\(pull.throttleKey?.text ?? "")"
            let seen = conditions[pull.outcomeKey]
            if batch.count < maxBatch, seen == nil || seen == condition {
                conditions[pull.outcomeKey] = condition
                batch.append(pending)
            } else {
                rest.append(pending)
            }
        }
        queue = rest
        return batch
    }
}
