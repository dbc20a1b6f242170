import Kernels
import XCTest

/// Calls the real OpenBLAS through the Kernels wrapper; small integers keep results exact.
final class BLASSmokeTests: XCTestCase {
    func testSgemm3x3() {
        let a: [Float] = [1, 2, 3,
                          4, 5, 6,
                          7, 8, 9]
        let b: [Float] = [9, 8, 7,
                          6, 5, 4,
                          3, 2, 1]
        var c = [Float](repeating: -1, count: 9)
        c.withUnsafeMutableBufferPointer { out in
            sgemm(m: 3, n: 3, k: 3, a: a, lda: 3, b: b, ldb: 3, c: out.baseAddress!, ldc: 3)
        }
        let expected: [Float] = [30, 24, 18,
                                 84, 69, 54,
                                 138, 114, 90]
        XCTAssertEqual(c, expected)
    }

    func testSgemm3x3TransposedWithAlphaBeta() {
        let a: [Float] = [1, 2, 3,
                          4, 5, 6,
                          7, 8, 9]
        let identity: [Float] = [1, 0, 0,
                                 0, 1, 0,
                                 0, 0, 1]
        var c: [Float] = [1, 1, 1,
                          1, 1, 1,
                          1, 1, 1]
        // C = 2 * A^T * I + 3 * C
        c.withUnsafeMutableBufferPointer { out in
            sgemm(transA: .transposed, m: 3, n: 3, k: 3, alpha: 2, a: a, lda: 3,
                  b: identity, ldb: 3, beta: 3, c: out.baseAddress!, ldc: 3)
        }
        let expected: [Float] = [5, 11, 17,
                                 7, 13, 19,
                                 9, 15, 21]
        XCTAssertEqual(c, expected)
    }

    func testLibraryFacts() {
        XCTAssertGreaterThanOrEqual(BLAS.threads, 1)
        XCTAssertTrue(BLAS.configuration.contains("OpenBLAS"), BLAS.configuration)
    }
}
