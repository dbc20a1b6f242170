import Foundation
import Kernels
import TensorEngine
import XCTest

/// Row blocks on cores: outputs come back in row order, gradient recording follows the caller
/// onto every thread, and a recorded pass is never split.
final class BatchSplitTests: XCTestCase {
    func testBlocksComeBackInRowOrder() {
        let rows = 7
        let x = Tensor(shape: [rows, 3], values: (0..<(rows * 3)).map(Float.init))
        var calls = 0
        let lock = NSLock()
        let out = withoutGradient {
            splitBatchOverCores(rows) { range -> Tensor in
                lock.lock(); calls += 1; lock.unlock()
                return x.slice(axis: 0, range: range) * 2
            }
        }
        XCTAssertEqual(out.shape, [rows, 3])
        XCTAssertEqual(out.scalars, x.scalars.map { $0 * 2 })
        XCTAssertEqual(calls, min(rows, coreCount))
    }

    func testRecordedPassRunsWholeAndKeepsItsGraph() {
        let w = Tensor(shape: [2, 2], values: [1, 2, 3, 4]).parameter()
        var ranges: [Range<Int>] = []
        let out = splitBatchOverCores(2) { range -> Tensor in
            ranges.append(range)
            return w.slice(axis: 0, range: range) * 3
        }
        XCTAssertEqual(ranges, [0..<2])
        XCTAssertTrue(out.requiresGrad)
        out.sum().backward()
        XCTAssertEqual(w.grad?.scalars, [3, 3, 3, 3])
    }

    func testRecordingStateFollowsWorkOntoEveryThread() {
        let seen = UnsafeMutableBufferPointer<Bool>.allocate(capacity: 4)
        defer { seen.deallocate() }
        withoutGradient { onCores(4) { seen[$0] = GradientMode.isRecording } }
        XCTAssertEqual(Array(seen), [false, false, false, false])
        onCores(4) { seen[$0] = GradientMode.isRecording }
        XCTAssertEqual(Array(seen), [true, true, true, true])
    }
}
