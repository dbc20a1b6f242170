import XCTest
import Foundation
@testable import TensorEngine

/// Naive softmax over the last axis in double.
func naiveSoftmax(_ x: [Double], cols: Int) -> [Double] {
    var y = [Double](repeating: 0, count: x.count)
    let rows = x.count / cols
    for r in 0..<rows {
        var m = -Double.infinity
        for j in 0..<cols { m = max(m, x[r * cols + j]) }
        var s = 0.0
        for j in 0..<cols {
            let e: Double = Foundation.exp(x[r * cols + j] - m)
            y[r * cols + j] = e
            s += e
        }
        for j in 0..<cols { y[r * cols + j] /= s }
    }
    return y
}

final class SoftmaxTests: XCTestCase {
    func testSoftmaxOddShape() {
        checkOp("softmax", shapes: [[3, 5, 7]], inputRange: -3...3, engine: { $0[0].softmax(axis: -1) }) { x in
            naiveSoftmax(x[0], cols: 7)
        }
    }

    func testSoftmaxLongRowsWithTail() {
        // 37 columns: several 8-lane blocks plus a partial one; explicit positive axis.
        checkOp("softmax-long", shapes: [[4, 37]], inputRange: -5...5, engine: { $0[0].softmax(axis: 1) }) { x in
            naiveSoftmax(x[0], cols: 37)
        }
    }

    func testSoftmaxManyRowsInParallel() {
        checkOp("softmax-rows", shapes: [[300, 61]], engine: { $0[0].softmax() }) { x in
            naiveSoftmax(x[0], cols: 61)
        }
    }

    func testSoftmaxIsStableForHugeInputs() {
        let t = Tensor(shape: [2, 3], values: [1000, 1001, 1002, -1000, -1e30, -1000])
        let y = t.softmax().scalars
        let ref = naiveSoftmax([1000, 1001, 1002, -1000, -1e30, -1000], cols: 3)
        for i in 0..<6 { XCTAssertEqual(Double(y[i]), ref[i], accuracy: 1e-6) }
        XCTAssertEqual(y[4], 0)
    }

    func testSoftmaxSingleColumnIsOne() {
        let t = Tensor(shape: [4, 1], values: [-3, 0, 2, 50])
        XCTAssertEqual(t.softmax().scalars, [1, 1, 1, 1])
    }

    func testSoftmaxDeterministic() {
        var rng = RandomSource(seed: 5)
        let x = Tensor.randn([64, 333], using: &rng)
        XCTAssertEqual(x.softmax().scalars, x.softmax().scalars)
    }
}
