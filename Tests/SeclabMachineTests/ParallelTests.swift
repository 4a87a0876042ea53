@testable import SeclabMachine
import Synchronization
import Testing

/// `Parallel.halves` (used to open a pull's items): every index exactly once, in two ranges
/// that meet, and small counts in one call.
@Suite("Parallel halves")
struct ParallelTests {
    @Test(arguments: [0, 1, 127, 128, 129, 1000, 10_001])
    func coversEveryIndexOnce(count: Int) {
        let calls = Mutex<[Range<Int>]>([])
        var hits = [Int](repeating: 0, count: count)
        hits.withUnsafeMutableBufferPointer { hits in
            Parallel.halves(count: count) { range in
                calls.withLock { $0.append(range) }
                for index in range { hits[index] += 1 }
            }
        }
        #expect(hits.allSatisfy { $0 == 1 })
        let ranges = calls.withLock { $0 }.sorted { $0.lowerBound < $1.lowerBound }
        if count < Parallel.minimumCount {
            #expect(ranges == [0..<count])
        } else {
            #expect(ranges.count == 2 || ranges == [0..<count])  // one call only without a second CPU
            #expect(ranges.first?.lowerBound == 0 && ranges.last?.upperBound == count)
            if ranges.count == 2 { #expect(ranges[0].upperBound == ranges[1].lowerBound) }
        }
    }
}
