import NIOCore
import Synchronization

/// The encoded `items` array of recent machine pulls, per vault and revision.
///
/// Why it is safe to cache: the bytes are the same ciphertext the database holds (nothing the
/// server could not already read), an entry is used only when the vault's revision read in
/// the pull's own database statement equals the entry's (so every replica serves what the
/// database holds now), and authentication and the revocation check still run on every pull
/// (issue 3 §2). Why it exists: row decoding and JSON encoding of 100–1,000 items were most of
/// a warm pull's cost (bench/results, issue 3 performance).
final class PullCache: Sendable {
    private struct Entry {
        let revision: Int64
        let body: ByteBuffer
        var lastUse: UInt64
    }

    private struct State {
        var entries: [String: Entry] = [:]
        var bytes = 0
        var clock: UInt64 = 0
    }

    private let state = Mutex(State())
    /// The most bytes all entries may hold together; 0 turns the cache off.
    let budget: Int

    /// A cache holding at most `budgetBytes` of encoded items.
    init(budgetBytes: Int) { budget = budgetBytes }

    /// The encoded items of `vaultID` at exactly `revision`, if cached.
    func lookup(vaultID: String, revision: Int64) -> ByteBuffer? {
        guard budget > 0 else { return nil }
        return state.withLock { state in
            guard var entry = state.entries[vaultID], entry.revision == revision else { return nil }
            state.clock &+= 1
            entry.lastUse = state.clock
            state.entries[vaultID] = entry
            return entry.body
        }
    }

    /// Remember `body` as the items of `vaultID` at `revision`, evicting the least recently
    /// used entries beyond the budget. A body larger than a quarter of the budget is not kept.
    func store(vaultID: String, revision: Int64, body: ByteBuffer) {
        guard budget > 0, body.readableBytes <= budget / 4 else { return }
        state.withLock { state in
            if let old = state.entries[vaultID] {
                // A concurrent pull may have stored a newer revision: never go back.
                guard old.revision < revision else { return }
                state.bytes -= old.body.readableBytes
            }
            state.clock &+= 1
            state.entries[vaultID] = Entry(revision: revision, body: body, lastUse: state.clock)
            state.bytes += body.readableBytes
            if state.bytes > budget {
                for (key, entry) in state.entries.sorted(by: { $0.value.lastUse < $1.value.lastUse }) where state.bytes > budget {
                    state.entries[key] = nil
                    state.bytes -= entry.body.readableBytes
                }
            }
        }
    }
}
