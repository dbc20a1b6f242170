@testable import Kernels
import XCTest

/// The unpacked small-matrix GEMM against a double-precision reference, on each vector
/// instruction set this processor runs (AVX2, AVX-512), at every edge of its blocking (rows
/// 1...13 around the 6-, 8- and 12-row blocks, columns around the 8-, 16- and 32-wide panels),
/// with A and B in both layouts, padded leading dimensions, alpha and beta.
final class SmallGemmTests: XCTestCase {
    struct Case {
        var ta: Transpose, tb: Transpose, m: Int, n: Int, k: Int, alpha: Float, beta: Float
    }

    /// Random operands with leading dimensions 3 floats wider than needed; C starts as `fill`.
    func operands(_ c: Case, seed: UInt64, fill: Float) -> (a: [Float], lda: Int, b: [Float], ldb: Int, c: [Float], ldc: Int) {
        var state = seed
        func next() -> Float {
            state = state &* 6364136223846793005 &+ 1442695040888963407
            return Float(Int(state >> 40) % 2001 - 1000) / 500
        }
        let (ar, ac) = c.ta == .none ? (c.m, c.k) : (c.k, c.m)
        let (br, bc) = c.tb == .none ? (c.k, c.n) : (c.n, c.k)
        let lda = ac + 3, ldb = bc + 3, ldc = c.n + 3
        let a = (0..<(max(1, ar) * lda)).map { _ in next() }
        let b = (0..<(max(1, br) * ldb)).map { _ in next() }
        let cm = (0..<(c.m * ldc)).map { _ in fill.isNaN ? fill : next() }
        return (a, lda, b, ldb, cm, ldc)
    }

    func reference(_ c: Case, a: [Float], lda: Int, b: [Float], ldb: Int, c0: [Float], ldc: Int) -> [Double] {
        var out = [Double](repeating: 0, count: c.m * c.n)
        for i in 0..<c.m {
            for j in 0..<c.n {
                var s = 0.0
                for p in 0..<c.k {
                    let x = c.ta == .none ? a[i * lda + p] : a[p * lda + i]
                    let y = c.tb == .none ? b[p * ldb + j] : b[j * ldb + p]
                    s += Double(x) * Double(y)
                }
                out[i * c.n + j] = Double(c.alpha) * s + (c.beta == 0 ? 0 : Double(c.beta) * Double(c0[i * ldc + j]))
            }
        }
        return out
    }

    func run(_ c: Case, a: [Float], lda: Int, b: [Float], ldb: Int, into out: inout [Float], ldc: Int) {
        out.withUnsafeMutableBufferPointer { o in
            sgemm(transA: c.ta, transB: c.tb, m: c.m, n: c.n, k: c.k, alpha: c.alpha, a: a, lda: lda,
                  b: b, ldb: ldb, beta: c.beta, c: o.baseAddress!, ldc: ldc, kernel: .small)
        }
    }

    /// The vector instruction sets this processor runs.
    let vectorISAs = supportedISAs.filter { $0 >= .avx2 }

    func testMatchesDoubleReferenceAtEveryBlockEdge() throws {
        try XCTSkipUnless(smallGemmAvailable, "needs AVX2 and FMA")
        for isa in vectorISAs { KernelISA.withActive(isa) { matchesDoubleReference(isa) } }
    }

    func matchesDoubleReference(_ isa: KernelISA) {
        var seed: UInt64 = 1
        for ta in [Transpose.none, .transposed] {
            for tb in [Transpose.none, .transposed] {
                for m in [1, 2, 5, 6, 7, 8, 9, 11, 12, 13] {
                    for n in [1, 3, 8, 9, 15, 16, 17, 31, 32, 33, 48, 49] {
                        for (k, alpha, beta) in [(1, Float(1), Float(0)), (7, 0.75, 1), (40, 1, 0.5)] {
                            seed += 1
                            let c = Case(ta: ta, tb: tb, m: m, n: n, k: k, alpha: alpha, beta: beta)
                            let o = operands(c, seed: seed, fill: beta == 0 ? .nan : 0)
                            var out = o.c
                            run(c, a: o.a, lda: o.lda, b: o.b, ldb: o.ldb, into: &out, ldc: o.ldc)
                            let want = reference(c, a: o.a, lda: o.lda, b: o.b, ldb: o.ldb, c0: o.c, ldc: o.ldc)
                            for i in 0..<m {
                                for j in 0..<n {
                                    let got = Double(out[i * o.ldc + j]), w = want[i * n + j]
                                    XCTAssertEqual(got, w, accuracy: 1e-5 * Double(k) * 4 + 1e-6, "\(isa) \(c) at (\(i), \(j))")
                                }
                                // Padding columns past n are never written.
                                for j in n..<o.ldc where beta != 0 {
                                    XCTAssertEqual(out[i * o.ldc + j], o.c[i * o.ldc + j], "\(isa) \(c) wrote padding at (\(i), \(j))")
                                }
                            }
                        }
                    }
                }
            }
        }
    }

    /// Zero k leaves beta * C (and clears C, NaNs included, at beta 0).
    /// AVX2 and AVX-512 give the same bits: one FMA chain per element over k in order on both.
    func testInstructionSetsGiveTheSameBits() throws {
        try XCTSkipUnless(KernelISA.avx512.runs(on: .current), "needs AVX-512")
        for (ta, tb, m, n, k) in [(Transpose.none, Transpose.none, 37, 50, 70), (.transposed, .transposed, 9, 100, 33),
                                  (.none, .transposed, 64, 16, 576), (.transposed, .none, 13, 8, 256)] {
            let c = Case(ta: ta, tb: tb, m: m, n: n, k: k, alpha: 0.5, beta: 1)
            let o = operands(c, seed: UInt64(m * n), fill: 0)
            var results: [[Float]] = []
            for isa in [KernelISA.avx2, .avx512] {
                var out = o.c
                KernelISA.withActive(isa) { run(c, a: o.a, lda: o.lda, b: o.b, ldb: o.ldb, into: &out, ldc: o.ldc) }
                results.append(out)
            }
            XCTAssertEqual(results[0], results[1], "\(c)")
        }
    }

    func testZeroDepth() throws {
        try XCTSkipUnless(smallGemmAvailable, "needs AVX2 and FMA")
        var c: [Float] = [.nan, 2, 3, 4]
        c.withUnsafeMutableBufferPointer { o in
            sgemm(m: 2, n: 2, k: 0, a: [0], lda: 1, b: [0], ldb: 2, c: o.baseAddress!, ldc: 2, kernel: .small)
        }
        XCTAssertEqual(c, [0, 0, 0, 0])
    }

    /// A row of C has the same bits whether it is computed alone, in a block of any height, or
    /// through `sgemm` split over cores: a batch split never changes the rounding.
    func testRowsDoNotDependOnBlocking() throws {
        try XCTSkipUnless(smallGemmAvailable, "needs AVX2 and FMA")
        for isa in vectorISAs { KernelISA.withActive(isa) { rowsDoNotDependOnBlocking() } }
    }

    func rowsDoNotDependOnBlocking() {
        let c = Case(ta: .none, tb: .transposed, m: 29, n: 40, k: 96, alpha: 1, beta: 0)
        let o = operands(c, seed: 99, fill: 0)
        var whole = o.c
        run(c, a: o.a, lda: o.lda, b: o.b, ldb: o.ldb, into: &whole, ldc: o.ldc)
        for start in [0, 5, 17, 28] {
            let one = Case(ta: .none, tb: .transposed, m: 1, n: 40, k: 96, alpha: 1, beta: 0)
            var row = [Float](repeating: 0, count: o.ldc)
            run(one, a: Array(o.a[(start * o.lda)...]), lda: o.lda, b: o.b, ldb: o.ldb, into: &row, ldc: o.ldc)
            XCTAssertEqual(Array(row[0..<40]), Array(whole[(start * o.ldc)..<(start * o.ldc + 40)]), "row \(start)")
        }
        // Through sgemm with a split into blocks of rows (large enough to split on several cores).
        let big = Case(ta: .none, tb: .none, m: 600, n: 64, k: 64, alpha: 1, beta: 0)
        let ob = operands(big, seed: 7, fill: 0)
        var viaSgemm = ob.c, viaSmall = ob.c
        viaSgemm.withUnsafeMutableBufferPointer { out in
            sgemm(m: 600, n: 64, k: 64, a: ob.a, lda: ob.lda, b: ob.b, ldb: ob.ldb, c: out.baseAddress!, ldc: ob.ldc)
        }
        run(big, a: ob.a, lda: ob.lda, b: ob.b, ldb: ob.ldb, into: &viaSmall, ldc: ob.ldc)
        XCTAssertTrue(usesSmallGemm(n: 64, k: 64))
        XCTAssertEqual(viaSgemm, viaSmall)
    }
}
