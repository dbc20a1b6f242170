import TensorEngine
import XCTest

final class CholeskyFactorTests: XCTestCase {
    /// A = M M' + I for a fixed M: symmetric positive definite.
    let n = 4
    var matrix: [Double] {
        let m: [Double] = [2, -1, 0.5, 3, 0, 1, -2, 1, 1.5, 0.25, 1, -1, -0.5, 2, 0, 1]
        var a = [Double](repeating: 0, count: n * n)
        for i in 0..<n {
            for j in 0..<n {
                a[i * n + j] = (0..<n).reduce(0) { $0 + m[i * n + $1] * m[j * n + $1] } + (i == j ? 1 : 0)
            }
        }
        return a
    }

    func testFactorReproducesTheMatrixAndSolves() {
        let a = matrix
        let f = CholeskyFactor(a, dimension: n)
        for i in 0..<n {
            for j in 0..<n {
                XCTAssertEqual(f.lower[i * n + j] == 0 || j <= i, true)
                let product = (0..<n).reduce(0) { $0 + f.lower[i * n + $1] * f.lower[j * n + $1] }
                XCTAssertEqual(product, a[i * n + j], accuracy: 1e-12)
            }
        }
        let b: [Double] = [1, -2, 0.5, 3]
        // L (L' x) = b solves A x = b.
        let x = f.solveUpper(f.solveLower(b))
        for i in 0..<n {
            XCTAssertEqual((0..<n).reduce(0) { $0 + a[i * n + $1] * x[$1] }, b[i], accuracy: 1e-10)
        }
        // log det of a diagonal matrix.
        let d = CholeskyFactor([4, 0, 0, 9], dimension: 2)
        XCTAssertEqual(d.logDeterminant, log(36), accuracy: 1e-12)
        XCTAssertEqual(d.lower, [2, 0, 0, 3])
    }

    func testNonPositivePivotsAreClampedNotTrapped() {
        let f = CholeskyFactor([0, 0, 0, -1], dimension: 2, pivotFloor: 1e-6)
        XCTAssertEqual(f.lower[0], 1e-3, accuracy: 1e-15)
        XCTAssertEqual(f.lower[3], 1e-3, accuracy: 1e-15)
        XCTAssertTrue(f.solveLower([1, 1]).allSatisfy(\.isFinite))
    }
}
