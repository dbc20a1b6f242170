import XCTest
import Foundation
@testable import TensorEngine

/// diffusers' get_timestep_embedding in double.
func naiveTimestepEmbedding(_ t: [Double], dim: Int, flip: Bool, shift: Double, maxPeriod: Double) -> [Double] {
    let half = dim / 2
    var out = [Double](repeating: 0, count: t.count * dim)
    for i in 0..<t.count {
        for k in 0..<half {
            let exponent: Double = -Foundation.log(maxPeriod) * Double(k) / (Double(half) - shift)
            let arg: Double = t[i] * Foundation.exp(exponent)
            let s: Double = Foundation.sin(arg), c: Double = Foundation.cos(arg)
            out[i * dim + (flip ? half + k : k)] = s
            out[i * dim + (flip ? k : half + k)] = c
        }
    }
    return out
}

final class EmbeddingTests: XCTestCase {
    func testEmbeddingGatherAndScatterAdd() {
        // Repeated ids must accumulate their gradients.
        let ids = [3, 0, 3, 5, 1, 3]
        checkOp("embedding", shapes: [[6, 5]], engine: { Tensor.embedding(ids: ids, table: $0[0]) }) { x in
            var out: [Double] = []
            for id in ids { for j in 0..<5 { out.append(x[0][id * 5 + j]) } }
            return out
        }
    }

    func testEmbeddingInt32IdsAndFrozenTable() {
        var rng = RandomSource(seed: 4)
        let table = Tensor.randn([10, 3], using: &rng)
        let out = Tensor.embedding(ids: [Int32(9), 2, 2], table: table)
        XCTAssertEqual(out.shape, [3, 3])
        XCTAssertFalse(out.requiresGrad)
        let t = table.scalars
        XCTAssertEqual(out.scalars, Array(t[27..<30]) + Array(t[6..<9]) + Array(t[6..<9]))
        XCTAssertEqual(Tensor.embedding(ids: [Int](), table: table).shape, [0, 3])
    }

    func testTimestepEmbeddingMatchesDiffusers() {
        let ts: [Float] = [0, 1, 10.5, 250, 999]
        for (dim, flip, shift) in [(8, false, Float(1)), (8, true, 0), (7, true, 1), (7, false, 0), (320, true, 0), (1, false, 1)] {
            let e = Tensor.timestepEmbedding(timesteps: ts, dim: dim, flipSinToCos: flip, downscaleFreqShift: shift)
            XCTAssertEqual(e.shape, [ts.count, dim])
            XCTAssertFalse(e.requiresGrad)
            let ref = naiveTimestepEmbedding(ts.map(Double.init), dim: dim, flip: flip, shift: Double(shift), maxPeriod: 10000)
            let got = e.scalars
            for i in 0..<ts.count {
                // float32 arguments near t = 1000 carry ~1e-4 absolute rounding; small t is tight.
                let tolerance = 2e-7 * max(1, Double(ts[i])) + 1e-6
                for j in 0..<dim {
                    XCTAssertEqual(Double(got[i * dim + j]), ref[i * dim + j], accuracy: tolerance,
                                   "t \(ts[i]) dim \(dim) flip \(flip) shift \(shift) column \(j)")
                }
            }
            if dim % 2 == 1 { for i in 0..<ts.count { XCTAssertEqual(got[i * dim + dim - 1], 0) } }
        }
    }

    func testTimestepEmbeddingKnownValues() {
        // t = 1: frequency 0 is exp(0) = 1, so sin(1) and cos(1) lead each half.
        let e = Tensor.timestepEmbedding(timesteps: [1], dim: 4, flipSinToCos: false, downscaleFreqShift: 1, maxPeriod: 100)
        // half 2, shift 1: exponents 0 and -ln(100) / 1 -> frequencies 1, 0.01.
        let v = e.scalars
        XCTAssertEqual(v[0], Foundation.sin(Float(1)), accuracy: 1e-7)
        XCTAssertEqual(v[1], Foundation.sin(Float(0.01)), accuracy: 1e-7)
        XCTAssertEqual(v[2], Foundation.cos(Float(1)), accuracy: 1e-7)
        XCTAssertEqual(v[3], Foundation.cos(Float(0.01)), accuracy: 1e-7)
    }
}
