import Foundation

/// The lower Cholesky factor `L` (`A = L L'`) of a small symmetric positive-definite matrix in
/// double precision, with the triangular solves that use it.
///
/// For the statistics built from a few hundred vectors (classifier covariances, second moments
/// of text states): row-major `[Double]` of `dimension * dimension`, no BLAS.
public struct CholeskyFactor: Sendable, Equatable {
    /// Rows and columns.
    public let dimension: Int
    /// `L`, row-major; zero above the diagonal.
    public let lower: [Double]

    /// Factors `matrix` (row-major; only its lower triangle is read). Pivots that are not
    /// positive, or below `pivotFloor`, are clamped to it instead of failing: add a ridge to
    /// the matrix when it may be singular.
    public init(_ matrix: [Double], dimension n: Int, pivotFloor: Double = 1e-12) {
        precondition(matrix.count == n * n, "a \(matrix.count)-element matrix is not \(n) x \(n)")
        var l = [Double](repeating: 0, count: n * n)
        for i in 0..<n {
            for j in 0...i {
                var sum = matrix[i * n + j]
                for k in 0..<j { sum -= l[i * n + k] * l[j * n + k] }
                l[i * n + j] = i == j ? max(sum, pivotFloor).squareRoot() : sum / l[j * n + j]
            }
        }
        dimension = n
        lower = l
    }

    /// `log det A` (twice the sum of the logs of `L`'s diagonal).
    public var logDeterminant: Double {
        (0..<dimension).reduce(0) { $0 + 2 * log(lower[$1 * dimension + $1]) }
    }

    /// `z` with `L z = b` (forward substitution).
    public func solveLower(_ b: [Double]) -> [Double] {
        let n = dimension
        var z = b
        for i in 0..<n {
            for k in 0..<i { z[i] -= lower[i * n + k] * z[k] }
            z[i] /= lower[i * n + i]
        }
        return z
    }

    /// `x` with `L' x = b` (back substitution).
    public func solveUpper(_ b: [Double]) -> [Double] {
        let n = dimension
        var x = b
        for i in stride(from: n - 1, through: 0, by: -1) {
            for k in (i + 1)..<n { x[i] -= lower[k * n + i] * x[k] }
            x[i] /= lower[i * n + i]
        }
        return x
    }
}
