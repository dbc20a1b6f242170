import XCTest
@testable import TensorEngine

/// Naive axis permutation: output axis k is input axis axes[k].
func naivePermute(_ x: [Double], shape: [Int], axes: [Int]) -> [Double] {
    let outShape = axes.map { shape[$0] }
    let inStrides = strides(shape), outStrides = strides(outShape)
    var y = [Double](repeating: 0, count: x.count)
    for i in 0..<x.count {
        var from = 0
        for k in 0..<axes.count {
            let index = (i / outStrides[k]) % outShape[k]
            from += index * inStrides[axes[k]]
        }
        y[i] = x[from]
    }
    return y
}

/// Naive slice along `axis`.
func naiveSlice(_ x: [Double], shape: [Int], axis: Int, range: Range<Int>) -> [Double] {
    let outer = shape[..<axis].reduce(1, *), inner = shape[(axis + 1)...].reduce(1, *)
    var y: [Double] = []
    for o in 0..<outer {
        for a in range {
            for i in 0..<inner { y.append(x[(o * shape[axis] + a) * inner + i]) }
        }
    }
    return y
}

/// Naive concatenation along `axis` of pieces with the given shapes.
func naiveConcat(_ xs: [[Double]], shapes: [[Int]], axis: Int) -> [Double] {
    let outer = shapes[0][..<axis].reduce(1, *), inner = shapes[0][(axis + 1)...].reduce(1, *)
    var y: [Double] = []
    for o in 0..<outer {
        for (x, s) in zip(xs, shapes) {
            let length = s[axis] * inner
            for i in 0..<length { y.append(x[o * length + i]) }
        }
    }
    return y
}

/// Naive nearest 2x upsampling of [n, c, h, w].
func naiveUpsample2x(_ x: [Double], planes: Int, h: Int, w: Int) -> [Double] {
    var y = [Double](repeating: 0, count: x.count * 4)
    for p in 0..<planes {
        for i in 0..<(2 * h) {
            for j in 0..<(2 * w) {
                y[(p * 2 * h + i) * 2 * w + j] = x[(p * h + i / 2) * w + j / 2]
            }
        }
    }
    return y
}

final class ShapeOpsTests: XCTestCase {
    func checkPermute(_ shape: [Int], _ axes: [Int], file: StaticString = #filePath, line: UInt = #line) {
        checkOp("permute\(axes)", shapes: [shape], file: file, line: line, engine: { $0[0].permuted(axes) }) { x in
            naivePermute(x[0], shape: shape, axes: axes)
        }
    }

    func testNCHWToNHWCAndBack() {
        checkPermute([2, 3, 4, 5], [0, 2, 3, 1])
        checkPermute([2, 4, 5, 3], [0, 3, 1, 2])
        // Larger than one 32x32 tile in both directions.
        checkPermute([2, 37, 5, 9], [0, 2, 3, 1])
        checkPermute([1, 45, 40], [0, 2, 1])
    }

    func testGeneralPermutations() {
        checkPermute([2, 3, 4, 5], [2, 0, 3, 1])
        checkPermute([3, 4, 5], [1, 0, 2])
        checkPermute([3, 4, 5], [2, 1, 0])
        checkPermute([1, 3, 1, 4], [3, 2, 0, 1])
        checkPermute([2, 3, 2, 2, 3], [4, 1, 3, 0, 2])
        checkPermute([4, 6], [1, 0])
    }

    func testRoundTripAndTransposeSugar() {
        var rng = RandomSource(seed: 9)
        let x = Tensor.randn([2, 33, 7, 6], using: &rng)
        XCTAssertEqual(x.permuted([0, 2, 3, 1]).permuted([0, 3, 1, 2]).scalars, x.scalars)
        XCTAssertEqual(x.permuted([0, 1, 2, 3]).storage === x.storage, true)
        XCTAssertEqual(x.transposed().shape, [2, 33, 6, 7])
        XCTAssertEqual(x.transposed().scalars, x.permuted([0, 1, 3, 2]).scalars)
        XCTAssertEqual(x.transposed(1, -1).shape, [2, 6, 7, 33])
        checkOp("transposed", shapes: [[3, 5, 4]], engine: { $0[0].transposed() }) { x in
            naivePermute(x[0], shape: [3, 5, 4], axes: [0, 2, 1])
        }
    }

    func testConcat() {
        let shapes = [[2, 3, 4], [2, 1, 4], [2, 2, 4]]
        checkOp("concat1", shapes: shapes, engine: { Tensor.concat($0, axis: 1) }) { x in
            naiveConcat(x, shapes: shapes, axis: 1)
        }
        let rows = [[2, 3], [1, 3]]
        checkOp("concat0", shapes: rows, trainable: [1], engine: { Tensor.concat($0, axis: 0) }) { x in
            naiveConcat(x, shapes: rows, axis: 0)
        }
        let last = [[2, 2, 3], [2, 2, 1], [2, 2, 2]]
        checkOp("concat-last", shapes: last, trainable: [0, 2], engine: { Tensor.concat($0, axis: -1) }) { x in
            naiveConcat(x, shapes: last, axis: 2)
        }
    }

    func testSliceViewsAndCopies() {
        checkOp("slice0", shapes: [[5, 3, 2]], engine: { $0[0].slice(axis: 0, range: 1..<4) * 2 }) { x in
            naiveSlice(x[0], shape: [5, 3, 2], axis: 0, range: 1..<4).map { $0 * 2 }
        }
        checkOp("slice2", shapes: [[2, 3, 6]], engine: { $0[0].slice(axis: 2, range: 2..<5) }) { x in
            naiveSlice(x[0], shape: [2, 3, 6], axis: 2, range: 2..<5)
        }
        checkOp("slice-neg", shapes: [[2, 4, 3]], engine: { $0[0].slice(axis: -2, range: 0..<1) }) { x in
            naiveSlice(x[0], shape: [2, 4, 3], axis: 1, range: 0..<1)
        }
        let t = Tensor(shape: [3, 2], values: [1, 2, 3, 4, 5, 6])
        let s0 = t.slice(axis: 0, range: 1..<3)
        XCTAssertTrue(s0.storage === t.storage)
        XCTAssertEqual(s0.scalars, [3, 4, 5, 6])
        let s1 = t.reshaped([1, 3, 2]).slice(axis: 1, range: 2..<3)
        XCTAssertTrue(s1.storage === t.storage)
        XCTAssertEqual(s1.scalars, [5, 6])
        let s2 = t.slice(axis: 1, range: 1..<2)
        XCTAssertFalse(s2.storage === t.storage)
        XCTAssertEqual(s2.scalars, [2, 4, 6])
    }

    func testSplitWithUnusedPiece() {
        // The middle piece takes no part in the loss: its gradient counts as zeros.
        let shape = [2, 6, 3]
        checkOp("split", shapes: [shape], engine: { t in
            let p = t[0].split(sizes: [1, 3, 2], axis: 1)
            return Tensor.concat([p[2], p[0] * 3], axis: 1)
        }) { x in
            let a = naiveSlice(x[0], shape: shape, axis: 1, range: 4..<6)
            let b = naiveSlice(x[0], shape: shape, axis: 1, range: 0..<1).map { $0 * 3 }
            return naiveConcat([a, b], shapes: [[2, 2, 3], [2, 1, 3]], axis: 1)
        }
    }

    func testChunkedUsesEveryPiece() {
        // GEGLU-style: the halves of the last axis multiplied together.
        let shape = [3, 2, 8]
        checkOp("chunked", shapes: [shape], engine: { t in
            let p = t[0].chunked(2, axis: -1)
            return p[0] * p[1]
        }) { x in
            let a = naiveSlice(x[0], shape: shape, axis: 2, range: 0..<4)
            let b = naiveSlice(x[0], shape: shape, axis: 2, range: 4..<8)
            var y: [Double] = []
            for i in 0..<a.count { y.append(a[i] * b[i]) }
            return y
        }
        let t = Tensor(shape: [4, 2], values: [1, 2, 3, 4, 5, 6, 7, 8])
        let halves = t.chunked(2, axis: 0)
        XCTAssertTrue(halves[1].storage === t.storage)
        XCTAssertEqual(halves[1].scalars, [5, 6, 7, 8])
    }

    func testUpsampleNearest2x() {
        checkOp("upsample", shapes: [[2, 3, 4, 5]], engine: { $0[0].upsampleNearest2x() }) { x in
            naiveUpsample2x(x[0], planes: 6, h: 4, w: 5)
        }
        checkOp("upsample-1px", shapes: [[1, 2, 1, 1]], engine: { $0[0].upsampleNearest2x() }) { x in
            naiveUpsample2x(x[0], planes: 2, h: 1, w: 1)
        }
    }

    func testShapeOpsDeterministic() {
        var rng = RandomSource(seed: 4)
        let x = Tensor.randn([2, 40, 6, 7], using: &rng)
        let a = Tensor.concat(Array(x.permuted([0, 2, 3, 1]).chunked(2, axis: -1).reversed()), axis: -1).upsampleNearest2x()
        let b = Tensor.concat(Array(x.permuted([0, 2, 3, 1]).chunked(2, axis: -1).reversed()), axis: -1).upsampleNearest2x()
        XCTAssertEqual(a.scalars, b.scalars)
    }
}
