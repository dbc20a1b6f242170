import Kernels
import XCTest

/// The thread budget: what `parallelFor` splits over, settable per process.
final class ThreadBudgetTests: XCTestCase {
    func testBudgetOfOneRunsEveryRangeOnTheCallingThread() {
        let saved = coreCount
        defer { setThreadBudget(saved) }
        setThreadBudget(1)
        XCTAssertEqual(coreCount, 1)
        var ranges: [Range<Int>] = []
        parallelFor(100_000, grain: 1) { ranges.append($0) }   // no lock needed: one call, this thread
        XCTAssertEqual(ranges, [0..<100_000])
        setThreadBudget(0)
        XCTAssertEqual(coreCount, 1, "the budget never drops below one thread")
        setThreadBudget(3)
        XCTAssertEqual(coreCount, 3)
    }
}
