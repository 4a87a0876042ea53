import CSeclabExec
import Synchronization
#if canImport(Glibc)
import Glibc
#endif

/// A second thread for opening a large pull's items, started as soon as the answer has
/// arrived (before it is read), which then shares the work with the caller chunk by chunk,
/// from the first item read onwards when the answer lists the vault's keys first (`stream`).
///
/// Why this shape (bench/results, 1,000-secret pulls on a 2-core VM): opening an item is about
/// 2.5 µs (two AEAD opens and the key-ref HMAC, spec §7), independent per item. A thread
/// created when the work is ready started working ~0.6 ms later and was joined ~0.35 ms after
/// it finished (waking an idle CPU is slow on a VM), so two fixed halves gained nothing. Here
/// the thread starts while the JSON is read, waits spinning (a sleeping thread would need the
/// same slow wake-up), and takes chunks from a shared counter as items become ready, so a late
/// start only means it does fewer; the caller never sleeps on it either. It is detached:
/// seclab-run exits or execs right after. The caller never depends on it: once every item is
/// ready it takes chunks too, until none are left.
final class ParallelHelper: @unchecked Sendable {
    // Why @unchecked Sendable: `job` is written by the caller before `state` is released as
    // `posted`, read by the thread only after acquiring it and joining, and
    // cleared by the caller only after the thread said it is finished (or never joined);
    // everything else is atomic.

    /// Below this many items the thread is not worth starting.
    static let minimumCount = 128
    /// Items per chunk: ~40 µs of work, small enough to balance a late start.
    static let chunk = 16
    /// How long the thread waits for work before it gives up (a caller that never posts).
    static let patienceNanoseconds: UInt64 = 200_000_000

    private enum State: Int { case waiting = 0, posted, dismissed, gaveUp }
    private enum Join: Int { case open = 0, joined, closed }
    private let state = Atomic<Int>(State.waiting.rawValue)
    private let join = Atomic<Int>(Join.open.rawValue)
    private let finished = Atomic<Bool>(false)
    /// The first index no one has taken yet.
    private let next = Atomic<Int>(0)
    /// How many items are ready to be taken (published by the caller while it reads them).
    private let ready = Atomic<Int>(0)
    /// The final count once every item is ready; -1 while the caller is still reading.
    private let total = Atomic<Int>(-1)
    private var job: ((Range<Int>) -> Void)? = nil

    /// An answer this large (about `minimumCount` items) gets a helper thread.
    static let minimumBodyBytes = 40 << 10

    /// A helper thread for opening the items of an answer of `bytes` bytes, started now (it
    /// starts while the answer is read), or nil when the answer is small.
    static func forAnswer(of bytes: Int) -> ParallelHelper? {
        bytes >= minimumBodyBytes ? start() : nil
    }

    /// A helper thread, or nil on one CPU or when no thread can be had.
    static func start() -> ParallelHelper? {
        guard sysconf(Int32(_SC_NPROCESSORS_ONLN)) > 1 else { return nil }
        let helper = ParallelHelper()
        let context = Unmanaged.passRetained(helper).toOpaque()
        guard seclab_start_thread_elsewhere({ raw in
            Unmanaged<ParallelHelper>.fromOpaque(raw!).takeRetainedValue().work()
            return nil
        }, context, nil) == 0 else {
            Unmanaged<ParallelHelper>.fromOpaque(context).release()
            return nil
        }
        return helper
    }

    /// Run `body` over `0..<count` in chunks, on this thread and the helper's; returns when
    /// every chunk is done and the helper holds no reference to `body`. Call at most once
    /// (`run` or `stream`).
    func run(count: Int, _ body: (Range<Int>) -> Void) {
        stream(body) { (_: (Int) -> Void) in count }
    }

    /// Run `body` over items while `produce` is still making them: `produce` calls its
    /// argument with how many items are ready so far (each initialized before, never fewer
    /// than before), the helper takes ready chunks meanwhile, and `produce` returns the final
    /// count; then this thread takes chunks too until none are left, and every index below it
    /// has been given to `body` exactly once. If `produce` throws, some ready items may have
    /// been done, none twice, and the helper has let go of `body` before the error is
    /// rethrown. Call at most once (`run` or `stream`).
    func stream<Failure: Error>(_ body: (Range<Int>) -> Void,
                                produce: (_ ready: (Int) -> Void) throws(Failure) -> Int) throws(Failure) -> Int {
        try withoutActuallyEscaping(body) { (body) throws(Failure) -> Int in
            job = body
            let posted = state.compareExchange(expected: State.waiting.rawValue, desired: State.posted.rawValue,
                                               ordering: .acquiringAndReleasing).exchanged
            defer { job = nil }
            let outcome = Result { () throws(Failure) -> Int in
                try produce { count in if posted { self.ready.store(count, ordering: .releasing) } }
            }
            // The final count: every item made, or (when produce threw) those already ready.
            let count: Int
            switch outcome {
            case let .success(made): count = made
            case .failure: count = posted ? ready.load(ordering: .relaxed) : 0
            }
            if posted {
                total.store(count, ordering: .releasing)
                drain(body)
                // Every chunk is taken. Close the job to a helper that has not joined yet; if it
                // has, wait (spinning: it is at most one chunk) until it let go of `body`.
                let closed = join.compareExchange(expected: Join.open.rawValue, desired: Join.closed.rawValue,
                                                  ordering: .acquiringAndReleasing).exchanged
                if !closed { while !finished.load(ordering: .acquiring) { sched_yield() } }
            } else if case .success = outcome {
                body(0..<count)  // the thread gave up waiting: all here
            }
            return try outcome.get()
        }
    }

    /// No work after all (the answer failed to read): the thread stops waiting. Harmless after `run`.
    func dismiss() {
        _ = state.compareExchange(expected: State.waiting.rawValue, desired: State.dismissed.rawValue, ordering: .releasing)
    }

    /// Take chunks until every item is done: whole chunks of ready items while the caller is
    /// still producing (spinning when none is ready), any rest once the count is final.
    private func drain(_ body: (Range<Int>) -> Void) {
        while true {
            let final = total.load(ordering: .acquiring)
            let limit = final >= 0 ? final : ready.load(ordering: .acquiring)
            let start = next.load(ordering: .relaxed)
            if final >= 0 && start >= final { return }
            guard start < limit, final >= 0 || limit - start >= Self.chunk else {
                sched_yield()
                continue
            }
            let end = min(start + Self.chunk, limit)
            if next.compareExchange(expected: start, desired: end, ordering: .relaxed).exchanged {
                body(start..<end)
            }
        }
    }

    private func work() {
        var started = timespec()
        clock_gettime(CLOCK_MONOTONIC, &started)
        while true {
            switch State(rawValue: state.load(ordering: .acquiring)) {
            case .posted?:
                guard join.compareExchange(expected: Join.open.rawValue, desired: Join.joined.rawValue,
                                           ordering: .acquiringAndReleasing).exchanged else { return }
                participate()
                finished.store(true, ordering: .releasing)
                return
            case .waiting?:
                var now = timespec()
                clock_gettime(CLOCK_MONOTONIC, &now)
                let waited = (Int64(now.tv_sec) - Int64(started.tv_sec)) * 1_000_000_000 + Int64(now.tv_nsec) - Int64(started.tv_nsec)
                if waited > Int64(Self.patienceNanoseconds),
                   state.compareExchange(expected: State.waiting.rawValue, desired: State.gaveUp.rawValue, ordering: .relaxed).exchanged {
                    return
                }
                sched_yield()
            default:
                return
            }
        }
    }

    /// The thread's share; its copy of `job` is released when this returns, before `finished`.
    @inline(never)
    private func participate() {
        guard let job else { return }
        drain(job)
    }
}

/// Splitting work over the caller and at most one helper thread.
enum Parallel {
    /// Run `body` over `0..<count` in chunks: with `helper` on two threads (when there are
    /// enough items to pay for it), else in one call.
    static func run(count: Int, helper: ParallelHelper?, _ body: (Range<Int>) -> Void) {
        guard let helper, count >= ParallelHelper.minimumCount else {
            helper?.dismiss()
            body(0..<count)
            return
        }
        helper.run(count: count, body)
    }
}
