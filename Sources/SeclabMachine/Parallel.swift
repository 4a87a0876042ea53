#if canImport(Glibc)
import Glibc
#endif

/// Runs `body` over `0..<count` split in two halves, the second on one extra thread, when
/// there is a second CPU and enough work to pay for a thread; otherwise in one call.
///
/// Why: opening a pull's items is about 3 µs each (two AEAD opens and the key-ref HMAC,
/// spec §7), a few milliseconds at 1,000 secrets, all of it independent per item; a CI
/// runner has at least two cores. One thread, created and joined here,
/// no pool: seclab-run exits or execs right after.
enum Parallel {
    /// Below this, one thread's start-up (tens of µs) costs more than it saves.
    static let minimumCount = 128

    static func halves(count: Int, _ body: (Range<Int>) -> Void) {
        let cpus = sysconf(Int32(_SC_NPROCESSORS_ONLN))
        guard count >= minimumCount, cpus > 1 else {
            body(0..<count)
            return
        }
        let middle = count / 2
        withoutActuallyEscaping(body) { body in
            let job = Job(run: { body(middle..<count) })
            var thread = pthread_t()
            let context = Unmanaged.passRetained(job).toOpaque()
            guard pthread_create(&thread, nil, { raw in
                let job = Unmanaged<Job>.fromOpaque(raw!).takeRetainedValue()
                job.run()
                return nil
            }, context) == 0 else {
                // No thread to be had: do it all here.
                Unmanaged<Job>.fromOpaque(context).release()
                body(0..<count)
                return
            }
            body(0..<middle)
            pthread_join(thread, nil)
        }
    }

    /// The second half's work, handed to the thread. Unchecked: the closure is only run by
    /// that thread, and `halves` joins it before returning.
    private final class Job: @unchecked Sendable {
        let run: () -> Void
        init(run: @escaping () -> Void) { self.run = run }
    }
}
