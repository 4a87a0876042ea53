public import NIOCore
import NIOPosix
import Synchronization

/// A counting semaphore for async code: at most `limit` holders at once, the rest wait in
/// FIFO order without blocking a thread. Used to serialize SQLite write transactions inside
/// one process; a waiter may give up after a deadline (nothing waits forever on the
/// database, not even for its turn to write).
public final class AsyncSemaphore: Sendable {
    struct Waiter {
        let id: Int
        let continuation: CheckedContinuation<Bool, Never>
    }
    struct State {
        var available: Int
        var nextID = 0
        var waiters: [Waiter] = []
    }
    let state: Mutex<State>

    /// A semaphore admitting `limit` holders.
    public init(limit: Int) {
        precondition(limit > 0)
        state = Mutex(State(available: limit))
    }

    /// Run `body` while holding one permit.
    public func withPermit<R: Sendable>(_ body: () async throws -> R) async rethrows -> R {
        _ = await acquire(within: nil)
        defer { release() }
        return try await body()
    }

    /// Run `body` while holding one permit, or throw `timedOut` when no permit came within
    /// `timeout` (the waiter leaves the queue; `body` does not run).
    public func withPermit<R: Sendable>(within timeout: TimeAmount, timedOut: @autoclosure () -> any Error,
                                        _ body: () async throws -> R) async throws -> R {
        guard await acquire(within: timeout) else { throw timedOut() }
        defer { release() }
        return try await body()
    }

    /// True when a permit was taken; false when `timeout` passed first.
    func acquire(within timeout: TimeAmount?) async -> Bool {
        let acquired = state.withLock { state -> Bool in
            if state.available > 0 { state.available -= 1; return true }
            return false
        }
        if acquired { return true }
        return await withCheckedContinuation { (continuation: CheckedContinuation<Bool, Never>) in
            let id = state.withLock { state -> Int? in
                // A permit may have come free between the two locks.
                if state.available > 0 { state.available -= 1; return nil }
                state.nextID += 1
                state.waiters.append(Waiter(id: state.nextID, continuation: continuation))
                return state.nextID
            }
            guard let id else { return continuation.resume(returning: true) }
            guard let timeout else { return }
            MultiThreadedEventLoopGroup.singleton.any().scheduleTask(in: timeout) {
                // Still queued at the deadline: leave the queue (a permit handed over meanwhile
                // removed the waiter first, so this never drops a permit).
                let expired = self.state.withLock { state -> Waiter? in
                    guard let index = state.waiters.firstIndex(where: { $0.id == id }) else { return nil }
                    return state.waiters.remove(at: index)
                }
                expired?.continuation.resume(returning: false)
            }
        }
    }

    func release() {
        let next = state.withLock { state -> Waiter? in
            if state.waiters.isEmpty { state.available += 1; return nil }
            return state.waiters.removeFirst()
        }
        next?.continuation.resume(returning: true)
    }
}
