@testable import SeclabMachine
import Synchronization
import Testing
#if canImport(Glibc)
import Glibc
#endif

/// `Parallel.run` with a `ParallelHelper` (used to open a pull's items): every index exactly
/// once whatever the helper does — joins at once, joins late, gave up waiting, was dismissed,
/// or was never started — and the work done when `run` returns.
@Suite("Parallel helper")
struct ParallelTests {
    /// Runs `count` indices and returns how often each was visited and the ranges seen.
    private func cover(_ count: Int, helper: ParallelHelper?) -> (hits: [Int], ranges: [Range<Int>]) {
        let calls = Mutex<[Range<Int>]>([])
        var hits = [Int](repeating: 0, count: count)
        hits.withUnsafeMutableBufferPointer { hits in
            Parallel.run(count: count, helper: helper) { range in
                calls.withLock { $0.append(range) }
                for index in range { hits[index] += 1 }
            }
        }
        return (hits, calls.withLock { $0 }.sorted { $0.lowerBound < $1.lowerBound })
    }

    @Test(arguments: [0, 1, 127, 128, 129, 1000, 10_001])
    func coversEveryIndexOnce(count: Int) {
        let (hits, ranges) = cover(count, helper: ParallelHelper.start())
        #expect(hits.allSatisfy { $0 == 1 })
        if count < ParallelHelper.minimumCount {
            #expect(ranges == [0..<count])  // not worth sharing: one call
        } else {
            // Chunks that tile 0..<count without gaps or overlaps.
            #expect(ranges.first?.lowerBound == 0 && ranges.last?.upperBound == count)
            #expect(zip(ranges, ranges.dropFirst()).allSatisfy { $0.upperBound == $1.lowerBound })
            #expect(ranges.allSatisfy { $0.count <= ParallelHelper.chunk })
        }
    }

    @Test func withoutHelperOneCall() {
        let (hits, ranges) = cover(1000, helper: nil)
        #expect(hits.allSatisfy { $0 == 1 })
        #expect(ranges == [0..<1000])
    }

    @Test func helperThatGaveUpLeavesTheWorkToTheCaller() {
        let helper = ParallelHelper.start()
        // Longer than the helper waits for work.
        usleep(UInt32(ParallelHelper.patienceNanoseconds / 1000) + 300_000)
        let (hits, _) = cover(1000, helper: helper)
        // Coverage only: on a loaded machine the thread may start late enough to still join.
        #expect(hits.allSatisfy { $0 == 1 })
    }

    @Test func dismissedHelperLeavesTheWorkToTheCaller() {
        let helper = ParallelHelper.start()
        helper?.dismiss()
        let (hits, ranges) = cover(1000, helper: helper)
        #expect(hits.allSatisfy { $0 == 1 })
        #expect(ranges == [0..<1000])
    }

    @Test func manyHelpersInARow() {
        // Each run returns only when its work is done and the helper let go of it.
        for _ in 0..<200 {
            let (hits, _) = cover(300, helper: ParallelHelper.start())
            #expect(hits.allSatisfy { $0 == 1 })
        }
    }
}
