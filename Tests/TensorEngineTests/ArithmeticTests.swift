import XCTest
@testable import TensorEngine

final class ArithmeticTests: XCTestCase {
    func testAddSameShape() {
        checkOp("add", shapes: [[3, 5], [3, 5]], engine: { $0[0] + $0[1] }) { x in zip(x[0], x[1]).map { $0 + $1 } }
    }

    func testBroadcastAddChannels() {
        // [N, C, H, W] + [N, C, 1, 1]: the ResNet time-embedding add.
        let a = [2, 3, 4, 5], b = [2, 3, 1, 1]
        checkOp("add-bcast", shapes: [a, b], engine: { $0[0] + $0[1] }) { x in
            (0..<120).map { i in x[0][i] + x[1][i / 20] }
        }
    }

    func testBroadcastMulLeadingAndTrailing() {
        // [2, 3, 4] * [3, 1]
        checkOp("mul-bcast", shapes: [[2, 3, 4], [3, 1]], engine: { $0[0] * $0[1] }) { x in
            (0..<24).map { i in x[0][i] * x[1][(i / 4) % 3] }
        }
    }

    func testSubWithFrozenOperand() {
        checkOp("sub", shapes: [[7], [7]], trainable: [1], engine: { $0[0] - $0[1] }) { x in zip(x[0], x[1]).map { $0 - $1 } }
    }

    func testAffineAndScalarOps() {
        checkOp("affine", shapes: [[4, 3]], engine: { ($0[0] * 2.5 + 1) * -1 }) { x in x[0].map { -($0 * 2.5 + 1) } }
    }

    func testSumToShapeAndBroadcastTo() {
        checkOp("sumToShape", shapes: [[2, 3, 4]], engine: { $0[0].sum(toShape: [3, 1]) }) { x in
            var out = [Double](repeating: 0, count: 3)
            for i in 0..<24 { out[(i / 4) % 3] += x[0][i] }
            return out
        }
        checkOp("broadcastTo", shapes: [[3, 1]], engine: { $0[0].broadcast(to: [2, 3, 4]) }) { x in
            (0..<24).map { x[0][($0 / 4) % 3] }
        }
    }

    func testReductions() {
        checkOp("sum", shapes: [[3, 4]], engine: { $0[0].sum() }) { x in [x[0].reduce(0, +)] }
        checkOp("mean", shapes: [[5, 3]], engine: { $0[0].mean() }) { x in [x[0].reduce(0, +) / 15] }
        checkOp("mean-axis", shapes: [[2, 3, 4]], engine: { $0[0].mean(axis: 1) }) { x in
            var out = [Double](repeating: 0, count: 8)
            for i in 0..<24 { out[(i / 12) * 4 + i % 4] += x[0][i] / 3 }
            return out
        }
        checkOp("mse", shapes: [[2, 9], [2, 9]], engine: { $0[0].mse($0[1]) }) { x in
            var s = 0.0
            for i in 0..<18 { let d: Double = x[0][i] - x[1][i]; s += d * d }
            return [s / 18]
        }
    }

    func testReshapeIsAViewAndDifferentiable() {
        checkOp("reshape", shapes: [[2, 6]], engine: { ($0[0].reshaped([3, -1]) * 3).reshaped([12]) }) { x in x[0].map { $0 * 3 } }
        let t = Tensor(shape: [2, 2], values: [1, 2, 3, 4])
        XCTAssertTrue(t.reshaped([4]).storage === t.storage)
    }

    func testGradientAccumulatesOverReuse() {
        // y = x * x + x: dy/dx = 2x + 1.
        let x = Tensor(shape: [3], values: [1, -2, 0.5]).parameter()
        (x * x + x).sum().backward()
        XCTAssertEqual(x.grad?.scalars, [3, -3, 2])
    }

    func testNoRecordingWithoutGradient() {
        let x = Tensor(shape: [2], values: [1, 2]).parameter()
        let y = withoutGradient { x * 2 }
        XCTAssertFalse(y.requiresGrad)
        XCTAssertTrue((x * 2).requiresGrad)
    }

    func testDeterministicRandom() {
        var a = RandomSource(seed: 42), b = RandomSource(seed: 42)
        XCTAssertEqual(Tensor.randn([100], using: &a).scalars, Tensor.randn([100], using: &b).scalars)
        var c = RandomSource(seed: 7)
        let saved = c
        _ = c.next()
        c = saved
        XCTAssertEqual(c, saved)
    }
}
