import Foundation
@testable import Kernels
import XCTest

/// Attention forward and backward through the kernel API on each instruction set this processor
/// runs (on AVX-512, heads wider than 32 take the flash kernels), against double-precision
/// references. The cases cross every edge of the flash blocking: 8-row query blocks and groups
/// of 32 rows ending part-way, 64-key blocks ending part-way, causal masks, more keys than
/// queries and the reverse, head widths that split into 48- and 32-float column runs.
final class ISAAttentionTests: XCTestCase {
    struct Case {
        var queries: Int, keys: Int, headDim: Int, causal: Bool
    }

    let cases = [
        Case(queries: 37, keys: 150, headDim: 40, causal: false),
        Case(queries: 150, keys: 37, headDim: 80, causal: false),
        Case(queries: 70, keys: 70, headDim: 40, causal: true),
        Case(queries: 9, keys: 130, headDim: 64, causal: true),
        Case(queries: 33, keys: 64, headDim: 160, causal: false),
    ]

    func testForwardAndGradientsMatchDoubleReference() throws {
        try forEachISA { isa in
            for (index, c) in cases.enumerated() {
                let s = AttentionProblem(batch: 2, queries: c.queries, keys: c.keys, heads: 2, headDim: c.headDim,
                                         causal: c.causal, scale: 1 / Float(c.headDim).squareRoot(), chunk: 24)
                var values = TestValues(seed: UInt64(100 + index))
                let q = values.array(2 * c.queries * s.width, scale: 2), dOut = values.array(q.count, scale: 1)
                let k = values.array(2 * c.keys * s.width, scale: 2), v = values.array(k.count, scale: 1)
                var out = [Float](repeating: .nan, count: q.count)
                var lse = [Float](repeating: .nan, count: s.logSumExpCount)
                out.withUnsafeMutableBufferPointer { o in
                    lse.withUnsafeMutableBufferPointer { attentionForward(s, q: q, k: k, v: v, out: o.baseAddress!, logSumExp: $0.baseAddress!) }
                }
                var dq = [Float](repeating: .nan, count: q.count)
                var dk = [Float](repeating: 0, count: k.count), dv = [Float](repeating: 0, count: k.count)
                dq.withUnsafeMutableBufferPointer { gq in
                    dk.withUnsafeMutableBufferPointer { gk in
                        dv.withUnsafeMutableBufferPointer { gv in
                            attentionBackward(s, q: q, k: k, v: v, out: out, dOut: dOut, dq: gq.baseAddress!,
                                              dk: gk.baseAddress!, dv: gv.baseAddress!, logSumExp: lse)
                        }
                    }
                }
                let want = reference(s, q: q, k: k, v: v, dOut: dOut)
                let what = "\(isa) \(c)"
                assertClose(out, want.out, tolerance: { _ in 5e-6 }, "\(what) output")
                assertClose(dq, want.dq, tolerance: { 2e-5 + 2e-5 * abs(want.dq[$0]) }, "\(what) dq")
                assertClose(dk, want.dk, tolerance: { 2e-5 + 2e-5 * abs(want.dk[$0]) }, "\(what) dk")
                assertClose(dv, want.dv, tolerance: { 2e-5 + 2e-5 * abs(want.dv[$0]) }, "\(what) dv")
            }
        }
    }

    func testFlashRunsOnlyWideHeadsOnAVX512() {
        func problem(_ d: Int) -> AttentionProblem {
            AttentionProblem(batch: 1, queries: 4, keys: 4, heads: 1, headDim: d, causal: false, scale: 1)
        }
        for isa in supportedISAs {
            KernelISA.withActive(isa) {
                XCTAssertEqual(problem(40).usesFlash, isa == .avx512, "\(isa)")
                XCTAssertFalse(problem(32).usesFlash, "\(isa)")
            }
        }
    }

    /// Output and gradients in double: P = softmax(scale Q K^T [mask]), O = P V,
    /// dS = P (dO V^T - rowsum(dO O)), dQ = scale dS K, dK = scale dS^T Q, dV = P^T dO.
    func reference(_ s: AttentionProblem, q: [Float], k: [Float], v: [Float], dOut: [Float])
        -> (out: [Double], dq: [Double], dk: [Double], dv: [Double]) {
        let w = s.width, d = s.headDim, scale = Double(s.scale)
        var out = [Double](repeating: 0, count: q.count), dq = out
        var dk = [Double](repeating: 0, count: k.count), dv = dk
        for b in 0..<s.batch {
            for h in 0..<s.heads {
                func at(_ rows: Int, _ i: Int, _ c: Int) -> Int { (b * rows + i) * w + h * d + c }
                for i in 0..<s.queries {
                    let seen = s.causal ? min(s.keys, i + 1) : s.keys
                    let scores = (0..<seen).map { j in
                        (0..<d).reduce(0.0) { $0 + Double(q[at(s.queries, i, $1)]) * Double(k[at(s.keys, j, $1)]) } * scale
                    }
                    let top = scores.max()!
                    let e = scores.map { Foundation.exp($0 - top) }
                    let total = e.reduce(0, +)
                    let p = e.map { $0 / total }
                    for c in 0..<d {
                        out[at(s.queries, i, c)] = (0..<seen).reduce(0.0) { $0 + p[$1] * Double(v[at(s.keys, $1, c)]) }
                    }
                    let delta = (0..<d).reduce(0.0) { $0 + Double(dOut[at(s.queries, i, $1)]) * out[at(s.queries, i, $1)] }
                    for j in 0..<seen {
                        let dp = (0..<d).reduce(0.0) { $0 + Double(dOut[at(s.queries, i, $1)]) * Double(v[at(s.keys, j, $1)]) }
                        let ds = p[j] * (dp - delta)
                        for c in 0..<d {
                            dq[at(s.queries, i, c)] += scale * ds * Double(k[at(s.keys, j, c)])
                            dk[at(s.keys, j, c)] += scale * ds * Double(q[at(s.queries, i, c)])
                            dv[at(s.keys, j, c)] += p[j] * Double(dOut[at(s.queries, i, c)])
                        }
                    }
                }
            }
        }
        return (out, dq, dk, dv)
    }
}
