import XCTest
@testable import TensorEngine

/// Naive [M,K] x [K,N] in double.
func naiveMatmul(_ a: [Double], _ b: [Double], m: Int, k: Int, n: Int) -> [Double] {
    var c = [Double](repeating: 0, count: m * n)
    for i in 0..<m { for j in 0..<n { var s = 0.0; for p in 0..<k { s += a[i * k + p] * b[p * n + j] }; c[i * n + j] = s } }
    return c
}

/// Naive x W^T + b in double.
func naiveLinear(_ x: [Double], _ w: [Double], _ b: [Double]?, rows: Int, nIn: Int, nOut: Int) -> [Double] {
    var y = [Double](repeating: 0, count: rows * nOut)
    for r in 0..<rows {
        for o in 0..<nOut {
            var s: Double = b?[o] ?? 0
            for i in 0..<nIn { s += x[r * nIn + i] * w[o * nIn + i] }
            y[r * nOut + o] = s
        }
    }
    return y
}

final class MatmulTests: XCTestCase {
    func testMatmulOddShapes() {
        checkOp("matmul", shapes: [[2, 3, 5], [5, 7]], engine: { $0[0].matmul($0[1]) }) { x in
            naiveMatmul(x[0], x[1], m: 6, k: 5, n: 7)
        }
    }

    func testBatchedMatmul() {
        checkOp("bmm", shapes: [[3, 4, 5], [3, 5, 2]], engine: { $0[0].batchedMatmul($0[1]) }) { x in
            (0..<3).flatMap { b in
                naiveMatmul(Array(x[0][(b * 20)..<(b * 20 + 20)]), Array(x[1][(b * 10)..<(b * 10 + 10)]), m: 4, k: 5, n: 2)
            }
        }
    }

    func testLinearWithBias() {
        // x [2, 3, 6] . W[4, 6]^T + b[4]
        checkOp("linear", shapes: [[2, 3, 6], [4, 6], [4]], engine: { $0[0].linear(weight: $0[1], bias: $0[2]) }) { x in
            naiveLinear(x[0], x[1], x[2], rows: 6, nIn: 6, nOut: 4)
        }
    }

    func testFrozenLinearComputesOnlyInputGradient() {
        checkOp("linear-frozen", shapes: [[5, 3], [2, 3], [2]], trainable: [0], engine: { $0[0].linear(weight: $0[1], bias: $0[2]) }) { x in
            naiveLinear(x[0], x[1], x[2], rows: 5, nIn: 3, nOut: 2)
        }
    }

    func testLinearNoBiasWeightOnly() {
        checkOp("linear-w", shapes: [[4, 3], [1, 3]], trainable: [1], engine: { $0[0].linear(weight: $0[1]) }) { x in
            naiveLinear(x[0], x[1], nil, rows: 4, nIn: 3, nOut: 1)
        }
    }

    func testDeterministicBitIdentical() {
        var rng = RandomSource(seed: 3)
        let a = Tensor.randn([64, 96], using: &rng), w = Tensor.randn([80, 96], using: &rng)
        XCTAssertEqual(a.linear(weight: w).scalars, a.linear(weight: w).scalars)
    }
}
