import NIOCore
import SeclabStore
import Synchronization

/// The encoded `items` array of recent machine pulls, per vault and revision.
///
/// Why it is safe to cache: the bytes are the same ciphertext the database holds (nothing the
/// server could not already read), an entry is used only when the vault's revision read in
/// the pull's own database statement equals the entry's (so every replica serves what the
/// database holds now), and authentication and the revocation check still run on every pull
///. Why it exists: row decoding and JSON encoding of 100–1,000 items were most of
/// a warm pull's cost (bench/results).
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
        /// The last state read for each machine slot (see `slot(_:)`).
        var slots: [String: MachinePullState.Slot] = [:]
    }

    /// At most this many slot states are remembered.
    static let slotCapacity = 10_000

    private let state = Mutex(State())
    /// The most bytes all entries may hold together; 0 turns the cache off.
    let budget: Int

    /// A cache holding at most `budgetBytes` of encoded items.
    init(budgetBytes: Int) { budget = budgetBytes }

    /// The state last read for machine slot `slotID`. A hint only: a pull that uses it
    /// instead of reading must have the database confirm hash, revision and throttle in its
    /// audit write (PullAudit), and falls back to reading when it does not.
    func slot(_ slotID: String) -> MachinePullState.Slot? {
        guard budget > 0 else { return nil }
        return state.withLock { $0.slots[slotID] }
    }

    /// Remember the state just read for a slot.
    func remember(_ slot: MachinePullState.Slot) {
        guard budget > 0 else { return }
        state.withLock { state in
            if state.slots.count >= Self.slotCapacity, state.slots[slot.slotID] == nil { state.slots.removeAll(keepingCapacity: true) }
            state.slots[slot.slotID] = slot
        }
    }

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
