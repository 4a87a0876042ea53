import Logging
import SeclabStore
import ServiceLifecycle
import Synchronization

/// Audit rows for events that anyone can cause in bulk (failed authentications with unknown
/// credentials, throttled and rate-limited requests, denied vault access), counted in memory
/// and written as one row per kind per window with `occurrences`.
///
/// Why: one row per request let an unauthenticated flood write ~1,150 rows/s and let a
/// removed share holder push a vault's history past the reader's page with denied reads.
/// Counting alike events per window keeps what an owner needs (who, what, from where, how
/// often, when) at a bounded number of rows. The table is bounded too: past `capacity`
/// distinct kinds in a window, further events are counted under one row per action and
/// outcome without actor, slot or address.
final class AggregatedAudit: Sendable {
    struct Key: Hashable {
        var actorID: String?
        var actorKind: String
        var action: String
        var vaultID: String?
        var slotID: String?
        var clientAddress: String?
        var outcome: String
        /// Kept apart per detail: a refused CI identity token's reason and claimed identity.
        var detail: String?
    }

    struct Entry { var firstTime: Int64; var count: Int64 }

    let capacity: Int
    let state = Mutex<[Key: Entry]>([:])

    init(capacity: Int = 10_000) { self.capacity = capacity }

    /// Count one event like `record` (its `occurrences` is ignored; key refs are not kept).
    func note(_ record: AuditRecord) {
        var key = Key(actorID: record.actorID, actorKind: record.actorKind, action: record.action, vaultID: record.vaultID,
                      slotID: record.slotID, clientAddress: record.clientAddress, outcome: record.outcome, detail: record.detail)
        state.withLock { entries in
            if entries[key] == nil, entries.count >= capacity {
                key = Key(actorID: nil, actorKind: record.actorKind, action: record.action, vaultID: record.vaultID,
                          slotID: nil, clientAddress: nil, outcome: record.outcome, detail: nil)
            }
            entries[key, default: Entry(firstTime: record.time, count: 0)].count += 1
        }
    }

    /// Write everything counted so far, one row per kind; on a failed write the counts are
    /// kept for the next try (so nothing is lost while the database is away).
    func flush(_ database: SeclabDatabase, logger: Logger) async {
        let taken = state.withLock { entries in
            let all = entries
            entries = [:]
            return all
        }
        guard !taken.isEmpty else { return }
        let rows = taken.map { key, entry in
            AuditRecord(time: entry.firstTime, actorID: key.actorID, actorKind: key.actorKind, action: key.action, vaultID: key.vaultID,
                        slotID: key.slotID, clientAddress: key.clientAddress, outcome: key.outcome, occurrences: entry.count,
                        detail: key.detail)
        }
        do {
            try await database.write { tx in for row in rows { try await tx.audit(row) } }
        } catch {
            logger.warning("aggregated audit write failed; kept for the next window", metadata: ["error.type": .string(String(describing: type(of: error)))])
            state.withLock { entries in
                for (key, entry) in taken {
                    let merged = entries[key].map { Entry(firstTime: min($0.firstTime, entry.firstTime), count: $0.count + entry.count) } ?? entry
                    entries[key] = merged
                }
            }
        }
    }
}

/// Flushes the aggregated audit every window and once more at shutdown.
struct AggregatedAuditService: Service {
    let audit: AggregatedAudit
    let database: SeclabDatabase
    let windowMillis: Int64
    let logger: Logger

    func run() async throws {
        await cancelWhenGracefulShutdown {
            while !Task.isCancelled {
                try? await Task.sleep(for: .milliseconds(windowMillis))
                await audit.flush(database, logger: logger)
            }
        }
        await audit.flush(database, logger: logger)
    }
}
