import XCTest
import Foundation
import Kernels
@testable import TensorEngine

/// Sizes of an attention test case; operands are [b, tq|tk, h * d] row-major.
struct AttentionCase {
    var b: Int, tq: Int, tk: Int, h: Int, d: Int
    var causal = false
    var scale: Double? = nil
    var w: Int { h * d }
    var effectiveScale: Double { scale ?? 1 / Double(d).squareRoot() }
    var qShape: [Int] { [b, tq, w] }
    var kShape: [Int] { [b, tk, w] }
}

/// Full-matrix softmax probabilities of one (batch, head) in double: [tq * tk].
func naiveProbabilities(_ q: [Double], _ k: [Double], _ c: AttentionCase, batch: Int, head: Int) -> [Double] {
    var p = [Double](repeating: 0, count: c.tq * c.tk)
    for i in 0..<c.tq {
        var m = -Double.infinity
        for j in 0..<c.tk {
            if c.causal && j > i { continue }
            var s = 0.0
            for e in 0..<c.d {
                let qv: Double = q[(batch * c.tq + i) * c.w + head * c.d + e]
                let kv: Double = k[(batch * c.tk + j) * c.w + head * c.d + e]
                s += qv * kv
            }
            s *= c.effectiveScale
            p[i * c.tk + j] = s
            m = max(m, s)
        }
        var total = 0.0
        for j in 0..<c.tk {
            if c.causal && j > i { p[i * c.tk + j] = 0; continue }
            let e: Double = Foundation.exp(p[i * c.tk + j] - m)
            p[i * c.tk + j] = e
            total += e
        }
        for j in 0..<c.tk { p[i * c.tk + j] /= total }
    }
    return p
}

/// Naive attention in double with the full probability matrix: [b, tq, h * d].
func naiveAttention(_ q: [Double], _ k: [Double], _ v: [Double], _ c: AttentionCase) -> [Double] {
    var out = [Double](repeating: 0, count: c.b * c.tq * c.w)
    for b in 0..<c.b {
        for h in 0..<c.h {
            let p = naiveProbabilities(q, k, c, batch: b, head: h)
            for i in 0..<c.tq {
                for e in 0..<c.d {
                    var s = 0.0
                    for j in 0..<c.tk {
                        let vv: Double = v[(b * c.tk + j) * c.w + h * c.d + e]
                        s += p[i * c.tk + j] * vv
                    }
                    out[(b * c.tq + i) * c.w + h * c.d + e] = s
                }
            }
        }
    }
    return out
}

/// Naive analytic attention gradients in double (full matrices): (dq, dk, dv).
func naiveAttentionGradients(_ q: [Double], _ k: [Double], _ v: [Double], _ dOut: [Double],
                             _ c: AttentionCase) -> ([Double], [Double], [Double]) {
    var dq = [Double](repeating: 0, count: q.count)
    var dk = [Double](repeating: 0, count: k.count)
    var dv = [Double](repeating: 0, count: v.count)
    for b in 0..<c.b {
        for h in 0..<c.h {
            let p = naiveProbabilities(q, k, c, batch: b, head: h)
            for i in 0..<c.tq {
                let qRow = (b * c.tq + i) * c.w + h * c.d
                // dP[i, j] = dO_i . V_j, then dS = P * (dP - sum_j P dP).
                var dp = [Double](repeating: 0, count: c.tk)
                var rowSum = 0.0
                for j in 0..<c.tk {
                    let kRow = (b * c.tk + j) * c.w + h * c.d
                    var s = 0.0
                    for e in 0..<c.d { s += dOut[qRow + e] * v[kRow + e] }
                    dp[j] = s
                    rowSum += p[i * c.tk + j] * s
                }
                for j in 0..<c.tk {
                    let kRow = (b * c.tk + j) * c.w + h * c.d
                    let pij: Double = p[i * c.tk + j]
                    let ds: Double = pij * (dp[j] - rowSum) * c.effectiveScale
                    for e in 0..<c.d {
                        dq[qRow + e] += ds * k[kRow + e]
                        dk[kRow + e] += ds * q[qRow + e]
                        dv[kRow + e] += pij * dOut[qRow + e]
                    }
                }
            }
        }
    }
    return (dq, dk, dv)
}

final class AttentionTests: XCTestCase {
    /// Gradient check of the chunked op (chunk size `chunk`) against finite differences.
    func check(_ name: String, _ c: AttentionCase, chunk: Int, trainable: Set<Int> = [0, 1, 2],
               file: StaticString = #filePath, line: UInt = #line) {
        let scale = c.scale.map { Float($0) }
        checkOp(name, shapes: [c.qShape, c.kShape, c.kShape], trainable: trainable, inputRange: -1.5...1.5,
                file: file, line: line,
                engine: { x in
                    Tensor.attention(query: x[0], key: x[1], value: x[2], heads: c.h, causal: c.causal,
                                     scale: scale, chunk: chunk)
                }) { x in naiveAttention(x[0], x[1], x[2], c) }
    }

    func testSelfAttentionSmallChunks() {
        check("self", AttentionCase(b: 2, tq: 5, tk: 5, h: 2, d: 3), chunk: 2)
    }

    func testCausalSelfAttentionSmallChunks() {
        check("self-causal", AttentionCase(b: 2, tq: 7, tk: 7, h: 2, d: 3, causal: true), chunk: 3)
    }

    func testCrossAttentionOnlyQueryTrainable() {
        check("cross-q", AttentionCase(b: 2, tq: 6, tk: 4, h: 3, d: 2), chunk: 4, trainable: [0])
    }

    func testOnlyValueOrKeyValueTrainable() {
        check("cross-v", AttentionCase(b: 1, tq: 5, tk: 3, h: 2, d: 4), chunk: 2, trainable: [2])
        check("cross-kv", AttentionCase(b: 2, tq: 3, tk: 6, h: 1, d: 5), chunk: 2, trainable: [1, 2])
        check("cross-k", AttentionCase(b: 1, tq: 4, tk: 5, h: 2, d: 2), chunk: 3, trainable: [1])
    }

    func testCausalWithUnequalLengths() {
        check("causal-tq>tk", AttentionCase(b: 1, tq: 7, tk: 4, h: 2, d: 2, causal: true), chunk: 3)
        check("causal-tq<tk", AttentionCase(b: 2, tq: 3, tk: 6, h: 1, d: 3, causal: true), chunk: 2)
    }

    func testRaggedHeadWidthAndKeyCount() {
        // D = 13 and Tk = 11: 8-lane blocks plus overlapping tails in every row loop.
        check("ragged", AttentionCase(b: 1, tq: 5, tk: 11, h: 2, d: 13, causal: true), chunk: 2)
        check("ragged-cross", AttentionCase(b: 2, tq: 3, tk: 19, h: 1, d: 9), chunk: 2)
    }

    func testExplicitScaleAndOneChunk() {
        check("scale", AttentionCase(b: 1, tq: 4, tk: 5, h: 2, d: 3, scale: 0.8), chunk: 256)
    }

    func testSameTensorAsQueryKeyValueAccumulates() {
        let c = AttentionCase(b: 2, tq: 4, tk: 4, h: 2, d: 2)
        checkOp("qkv-same", shapes: [c.qShape], engine: { x in
            Tensor.attention(query: x[0], key: x[0], value: x[0], heads: 2, causal: false, scale: nil, chunk: 3)
        }) { x in naiveAttention(x[0], x[0], x[0], c) }
    }

    /// Forward and all gradients of the public op (default chunk of 256) against the naive
    /// full-matrix references, on a size where several chunks and cores are used.
    func compareWithNaive(_ c: AttentionCase, trainable: Set<Int>, seed: UInt64,
                          file: StaticString = #filePath, line: UInt = #line) {
        var rng = RandomSource(seed: seed)
        let raw = [Tensor.randn(c.qShape, using: &rng), Tensor.randn(c.kShape, using: &rng),
                   Tensor.randn(c.kShape, using: &rng)]
        let dOut = Tensor.randn(c.qShape, using: &rng)
        var inputs: [Tensor] = []
        for (i, t) in raw.enumerated() { inputs.append(trainable.contains(i) ? t.parameter() : t) }
        let out = Tensor.attention(query: inputs[0], key: inputs[1], value: inputs[2], heads: c.h, causal: c.causal)
        let d = raw.map { $0.scalars.map(Double.init) }
        let expected = naiveAttention(d[0], d[1], d[2], c)
        let fwdErr = relativeError(out.scalars.map(Double.init), expected)
        XCTAssertLessThan(fwdErr, 1e-5, "forward relative error \(fwdErr)", file: file, line: line)
        out.backward(dOut)
        let (dq, dk, dv) = naiveAttentionGradients(d[0], d[1], d[2], dOut.scalars.map(Double.init), c)
        let refs = [dq, dk, dv]
        for i in 0..<3 {
            guard trainable.contains(i) else {
                XCTAssertNil(inputs[i].grad, "frozen input \(i) got a gradient", file: file, line: line)
                continue
            }
            guard let g = inputs[i].grad else { XCTFail("no gradient for input \(i)", file: file, line: line); continue }
            let err = relativeError(g.scalars.map(Double.init), refs[i])
            XCTAssertLessThan(err, 1e-4, "gradient \(i) relative error \(err)", file: file, line: line)
        }
    }

    func testChunkedEqualsNaiveSelfAttention() {
        // 300 queries: one full chunk of 256 and a partial one.
        compareWithNaive(AttentionCase(b: 2, tq: 300, tk: 300, h: 2, d: 8), trainable: [0, 1, 2], seed: 21)
    }

    func testChunkedEqualsNaiveCausal() {
        compareWithNaive(AttentionCase(b: 1, tq: 300, tk: 300, h: 4, d: 4, causal: true), trainable: [0, 1, 2], seed: 22)
    }

    func testChunkedEqualsNaiveCrossAttentionFrozenKeys() {
        // The SD cross-attention case: 77 text tokens as frozen keys and values.
        compareWithNaive(AttentionCase(b: 2, tq: 270, tk: 77, h: 2, d: 8), trainable: [0], seed: 23)
    }

    func testWideHeads() {
        // SD's head width 40 is past smallHeadDim: the flash kernels on AVX-512 (the forward
        // keeps each row's log-sum-exp for the backward), chunked GEMMs otherwise.
        compareWithNaive(AttentionCase(b: 1, tq: 270, tk: 77, h: 2, d: 40), trainable: [0, 1, 2], seed: 24)
        compareWithNaive(AttentionCase(b: 1, tq: 40, tk: 40, h: 1, d: 40, causal: true), trainable: [0, 1, 2], seed: 25)
    }

    func testKeptProbabilitiesGiveTheRecomputedGradients() throws {
        // The kernels directly: a backward reading the probabilities its forward kept against one
        // recomputing them (the path of problems too large to keep), two query chunks, 77 keys
        // (rows padded to 80 floats).
        let p = AttentionProblem(batch: 2, queries: 300, keys: 77, heads: 2, headDim: 8, causal: false, scale: 0.35)
        try XCTSkipUnless(p.keepsProbabilities, "needs AVX2 and FMA")
        XCTAssertFalse(AttentionProblem(batch: 1, queries: 9, keys: 9, heads: 1, headDim: 8, causal: true, scale: 1).keepsProbabilities)
        XCTAssertEqual(p.probabilityRowStride, 80)
        var rng = RandomSource(seed: 31)
        let q = Tensor.randn([2, 300, 16], using: &rng), k = Tensor.randn([2, 77, 16], using: &rng)
        let v = Tensor.randn([2, 77, 16], using: &rng), g = Tensor.randn([2, 300, 16], using: &rng)
        func run(keeping: Bool) -> [[Float]] {
            let out = Tensor(uninitialized: q.shape), kept = Tensor(uninitialized: [p.probabilityCount + p.probabilityRows])
            let keep = keeping ? AttentionProbabilities(e: kept.pointer, inv: kept.pointer + p.probabilityCount) : nil
            attentionForward(p, q: q.pointer, k: k.pointer, v: v.pointer, out: out.pointer, keep: keep)
            let dq = Tensor(uninitialized: q.shape), dk = Tensor.zeros(k.shape), dv = Tensor.zeros(v.shape)
            attentionBackward(p, q: q.pointer, k: k.pointer, v: v.pointer, out: out.pointer, dOut: g.pointer,
                              dq: dq.pointer, dk: dk.pointer, dv: dv.pointer, kept: keep)
            return [out.scalars, dq.scalars, dk.scalars, dv.scalars]
        }
        let kept = run(keeping: true), recomputed = run(keeping: false)
        XCTAssertEqual(kept[0], recomputed[0], "keeping changed the forward")
        for i in 1..<4 {
            let err = relativeError(kept[i].map(Double.init), recomputed[i].map(Double.init))
            XCTAssertLessThan(err, 1e-5, "gradient \(i)")
        }
    }

    func testDeterministicBitIdentical() {
        var rng = RandomSource(seed: 9)
        let q = Tensor.randn([1, 300, 64], using: &rng), k = Tensor.randn([1, 300, 64], using: &rng)
        let v = Tensor.randn([1, 300, 64], using: &rng), g = Tensor.randn([1, 300, 64], using: &rng)
        func run() -> [[Float]] {
            let qp = q.parameter(), kp = k.parameter(), vp = v.parameter()
            let out = Tensor.attention(query: qp, key: kp, value: vp, heads: 8, causal: true)
            out.backward(g)
            return [out.scalars, qp.grad!.scalars, kp.grad!.scalars, vp.grad!.scalars]
        }
        let first = run(), second = run()
        for i in 0..<4 { XCTAssertEqual(first[i], second[i], "run-to-run difference in output \(i)") }
    }

    func testAttentionWithoutGradientRecordsNothing() {
        var rng = RandomSource(seed: 2)
        let x = Tensor.randn([1, 3, 4], using: &rng).parameter()
        let y = withoutGradient { Tensor.attention(query: x, key: x, value: x, heads: 2) }
        XCTAssertFalse(y.requiresGrad)
        XCTAssertEqual(y.shape, [1, 3, 4])
    }
}
