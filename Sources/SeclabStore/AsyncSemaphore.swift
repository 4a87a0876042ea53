import Synchronization

/// A counting semaphore for async code: at most `limit` holders at once, the rest wait in
/// FIFO order without blocking a thread. Used to bound Argon2id verifications (memory under a
/// flood) and to serialize SQLite write transactions inside one process.
public final class AsyncSemaphore: Sendable {
    struct State {
        var available: Int
        var waiters: [CheckedContinuation<Void, Never>] = []
    }
    let state: Mutex<State>

    /// A semaphore admitting `limit` holders.
    public init(limit: Int) {
        precondition(limit > 0)
        state = Mutex(State(available: limit))
    }

    /// Run `body` while holding one permit.
    public func withPermit<R: Sendable>(_ body: () async throws -> R) async rethrows -> R {
        await acquire()
        defer { release() }
        return try await body()
    }

    func acquire() async {
        let acquired = state.withLock { state -> Bool in
            if state.available > 0 { state.available -= 1; return true }
            return false
        }
        if acquired { return }
        await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
            let resumeNow = state.withLock { state -> Bool in
                // A permit may have come free between the two locks.
                if state.available > 0 { state.available -= 1; return true }
                state.waiters.append(continuation)
                return false
            }
            if resumeNow { continuation.resume() }
        }
    }

    func release() {
        let next = state.withLock { state -> CheckedContinuation<Void, Never>? in
            if state.waiters.isEmpty { state.available += 1; return nil }
            return state.waiters.removeFirst()
        }
        next?.resume()
    }
}
