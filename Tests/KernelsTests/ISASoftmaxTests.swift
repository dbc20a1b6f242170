import Foundation
@testable import Kernels
import XCTest

/// Softmax rows and attention (whose probabilities come from the same exponential row kernel)
/// on each instruction set this processor runs, against double-precision references.
/// Tolerance: 1e-5 relative to each probability (the exponential is within 2e-7 relative; the
/// rest is the float sum of up to 1000 terms), plus 1e-9 absolute.
final class ISASoftmaxTests: XCTestCase {
    func testSoftmaxRowsMatchDoubleReference() throws {
        try forEachISA { isa in
            for cols in [1, 5, 8, 9, 16, 17, 31, 32, 33, 47, 100, 1000] {
                var values = TestValues(seed: UInt64(cols))
                let rows = 3
                let x = values.array(rows * cols, scale: 12)
                var want = [Double](repeating: 0, count: rows * cols)
                for r in 0..<rows {
                    let row = x[(r * cols)..<((r + 1) * cols)].map(Double.init)
                    let top = row.max() ?? 0
                    let e = row.map { Foundation.exp($0 - top) }
                    let sum = e.reduce(0, +)
                    for j in 0..<cols { want[r * cols + j] = e[j] / sum }
                }
                var y = [Float](repeating: .nan, count: rows * cols)
                y.withUnsafeMutableBufferPointer { softmaxRows(x, $0.baseAddress!, rows: rows, cols: cols) }
                assertClose(y, want, tolerance: { 1e-5 * want[$0] + 1e-9 }, "\(isa) softmax of \(cols)")
                // In place gives the same bits.
                var inPlace = x
                inPlace.withUnsafeMutableBufferPointer { softmaxRows($0.baseAddress!, $0.baseAddress!, rows: rows, cols: cols) }
                XCTAssertEqual(inPlace, y, "\(isa) in place, \(cols)")
            }
        }
    }

    /// Attention forward of 2 heads (widths 8 and 40: the fused small-head path and the GEMM
    /// path), with and without the causal mask, against softmax(scale Q K^T) V in double.
    func testAttentionForwardMatchesDoubleReference() throws {
        try forEachISA { isa in
            for (d, causal) in [(8, false), (8, true), (40, false), (40, true)] {
                let s = AttentionProblem(batch: 1, queries: 37, keys: 37, heads: 2, headDim: d, causal: causal,
                                         scale: 1 / Float(d).squareRoot(), chunk: 16)
                var values = TestValues(seed: UInt64(d))
                let n = s.queries * s.width
                let q = values.array(n, scale: 2), k = values.array(n, scale: 2), v = values.array(n, scale: 1)
                var out = [Float](repeating: .nan, count: n)
                out.withUnsafeMutableBufferPointer { attentionForward(s, q: q, k: k, v: v, out: $0.baseAddress!) }
                var want = [Double](repeating: 0, count: n)
                for h in 0..<s.heads {
                    for i in 0..<s.queries {
                        let seen = causal ? i + 1 : s.keys
                        let scores = (0..<seen).map { j in
                            (0..<d).reduce(0.0) { $0 + Double(q[i * s.width + h * d + $1]) * Double(k[j * s.width + h * d + $1]) }
                                * Double(s.scale)
                        }
                        let top = scores.max() ?? 0
                        let e = scores.map { Foundation.exp($0 - top) }
                        let sum = e.reduce(0, +)
                        for c in 0..<d {
                            want[i * s.width + h * d + c] = (0..<seen).reduce(0.0) { $0 + e[$1] * Double(v[$1 * s.width + h * d + c]) } / sum
                        }
                    }
                }
                assertClose(out, want, tolerance: { _ in 5e-6 }, "\(isa) attention d \(d) causal \(causal)")
            }
        }
    }
}
