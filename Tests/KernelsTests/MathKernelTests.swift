import Foundation
import XCTest
import Kernels

final class MathKernelTests: XCTestCase {
    /// `count` evenly spaced floats from `lo` to `hi`.
    func sweep(_ lo: Float, _ hi: Float, count: Int) -> [Float] {
        var xs: [Float] = []
        xs.reserveCapacity(count)
        for i in 0..<count {
            let t = Double(i) / Double(count - 1)
            xs.append(Float(Double(lo) + (Double(hi) - Double(lo)) * t))
        }
        return xs
    }

    func runExp(_ xs: [Float]) -> [Float] {
        var ys = [Float](repeating: .nan, count: xs.count)
        xs.withUnsafeBufferPointer { x in
            ys.withUnsafeMutableBufferPointer { y in fastExp(x.baseAddress!, y.baseAddress!, count: xs.count) }
        }
        return ys
    }

    func runErf(_ xs: [Float]) -> [Float] {
        var ys = [Float](repeating: .nan, count: xs.count)
        xs.withUnsafeBufferPointer { x in
            ys.withUnsafeMutableBufferPointer { y in fastErf(x.baseAddress!, y.baseAddress!, count: xs.count) }
        }
        return ys
    }

    func testExpRelativeErrorOverNormalRange() {
        // 200_003 points: not a multiple of 8, so the tail path runs too.
        let xs = sweep(-87.3, 88.72, count: 200_003)
        let ys = runExp(xs)
        var worst = 0.0
        var worstX: Float = 0
        for i in 0..<xs.count {
            let ref: Double = Foundation.exp(Double(xs[i]))
            let rel: Double = abs(Double(ys[i]) - ref) / ref
            if rel > worst { worst = rel; worstX = xs[i] }
        }
        XCTAssertLessThan(worst, 2e-7, "worst relative error \(worst) at x = \(worstX)")
    }

    func testExpSmallArgumentsAndExtremes() {
        let xs: [Float] = [0, -0.0, 1e-8, -1e-8, 1, -1, 0.5, 88, 88.72, -87, -100, -103, -103.9,
                           -104, -150, -1e4, -1e30, -.infinity, 88.73, 89, 100, 1e30, .infinity, .nan]
        let ys = runExp(xs)
        XCTAssertEqual(ys[0], 1)
        XCTAssertEqual(ys[1], 1)
        for i in 2..<9 {
            let ref: Double = Foundation.exp(Double(xs[i]))
            XCTAssertLessThan(abs(Double(ys[i]) - ref) / ref, 2e-7, "exp(\(xs[i])) = \(ys[i])")
        }
        // Subnormal results: within two subnormal steps of the correctly rounded value.
        for i in 9..<14 {
            let ref = Float(Foundation.exp(Double(xs[i])))
            XCTAssertLessThanOrEqual(abs(ys[i] - ref), 2 * Float.leastNonzeroMagnitude, "exp(\(xs[i])) = \(ys[i])")
        }
        for i in 14..<18 { XCTAssertEqual(ys[i], 0, "exp(\(xs[i]))") }
        for i in 18..<23 { XCTAssertEqual(ys[i], .infinity, "exp(\(xs[i]))") }
        XCTAssertTrue(ys[23].isNaN)
        XCTAssertEqual(fastExp(Float(2)), runExp([2])[0])
    }

    func testExpInPlaceMatchesOutOfPlace() {
        var xs = sweep(-20, 20, count: 1001)
        let ys = runExp(xs)
        xs.withUnsafeMutableBufferPointer { p in fastExp(p.baseAddress!, p.baseAddress!, count: p.count) }
        XCTAssertEqual(xs, ys)
    }

    func testExpNonPositive() {
        let xs = sweep(-87.33, 0, count: 100_000)
        var worst = 0.0
        var i = 0
        while i + 8 <= xs.count {
            var v = Float8(repeating: 0)
            for l in 0..<8 { v[l] = xs[i + l] }
            let y = fastExpNonPositive(v)
            for l in 0..<8 {
                let ref: Double = Foundation.exp(Double(xs[i + l]))
                worst = max(worst, abs(Double(y[l]) - ref) / ref)
            }
            i += 8
        }
        XCTAssertLessThan(worst, 2e-7, "worst relative error \(worst)")
        let tail = fastExpNonPositive(Float8(-87.34, -100, -1e30, -.infinity, 0, -0.0, -1, -88))
        XCTAssertEqual(tail, Float8(0, 0, 0, 0, 1, 1, Float(Foundation.exp(-1.0)), 0))
    }

    func testErfAbsoluteError() {
        let xs = sweep(-6, 6, count: 120_007) + [0, -0.0, 1e-7, -1e-7, 10, -10, 1e30, -1e30, .infinity, -.infinity]
        let ys = runErf(xs)
        var worst = 0.0
        var worstX: Float = 0
        for i in 0..<xs.count {
            let ref: Double = Foundation.erf(Double(xs[i]))
            let err: Double = abs(Double(ys[i]) - ref)
            if err > worst { worst = err; worstX = xs[i] }
        }
        XCTAssertLessThan(worst, 1e-6, "worst absolute error \(worst) at x = \(worstX)")
        XCTAssertTrue(runErf([.nan])[0].isNaN)
        XCTAssertEqual(fastErf(Float(0.3)), runErf([0.3])[0])
    }

    func testErfIsOdd() {
        let xs = sweep(0, 5, count: 997)
        var neg: [Float] = []
        for x in xs { neg.append(-x) }
        let a = runErf(xs), b = runErf(neg)
        for i in 0..<xs.count { XCTAssertEqual(a[i], -b[i]) }
    }
}

/// GEGLU forward (the AVX2 kernel where the processor has it) against exact GELU in double.
final class GegluKernelTests: XCTestCase {
    func testGegluMatchesExactGeluInDouble() {
        let rows = 7, half = 37 // 4 full blocks of 8 and a tail of 5 per row
        var x = [Float](repeating: 0, count: rows * 2 * half)
        for i in x.indices { x[i] = Float(i % 331) / 331 * 16 - 8 }
        var y = [Float](repeating: .nan, count: rows * half)
        x.withUnsafeBufferPointer { xp in
            y.withUnsafeMutableBufferPointer { yp in gegluForward(xp.baseAddress!, yp.baseAddress!, rows: rows, half: half) }
        }
        var worst = 0.0
        for r in 0..<rows {
            for j in 0..<half {
                let a = Double(x[r * 2 * half + j]), g = Double(x[r * 2 * half + half + j])
                let exact = a * 0.5 * g * (1 + erf(g / 2.0.squareRoot()))
                worst = max(worst, abs(Double(y[r * half + j]) - exact) / max(1, abs(a * g)))
            }
        }
        XCTAssertLessThan(worst, 2e-6)
    }

    func testGegluBackwardMatchesExactDerivativeInDouble() {
        let rows = 5, half = 21 // 2 full blocks of 8 and a tail of 5 per row
        var x = [Float](repeating: 0, count: rows * 2 * half), g = [Float](repeating: 0, count: rows * half)
        for i in x.indices { x[i] = Float(i % 211) / 211 * 16 - 8 }
        for i in g.indices { g[i] = Float(i % 17) / 17 * 2 - 1 }
        var dx = [Float](repeating: .nan, count: x.count)
        x.withUnsafeBufferPointer { xp in
            g.withUnsafeBufferPointer { gp in
                dx.withUnsafeMutableBufferPointer { dp in gegluBackward(xp.baseAddress!, gp.baseAddress!, dp.baseAddress!, rows: rows, half: half) }
            }
        }
        var worst = 0.0
        for r in 0..<rows {
            for j in 0..<half {
                let a = Double(x[r * 2 * half + j]), v = Double(x[r * 2 * half + half + j]), go = Double(g[r * half + j])
                let cdf = 0.5 * (1 + erf(v / 2.0.squareRoot())), pdf = exp(-v * v / 2) / (2 * Double.pi).squareRoot()
                let da = go * v * cdf, dgate = go * a * (cdf + v * pdf)
                worst = max(worst, abs(Double(dx[r * 2 * half + j]) - da) / max(1, abs(da)))
                worst = max(worst, abs(Double(dx[r * 2 * half + half + j]) - dgate) / max(1, abs(a * go)))
            }
        }
        XCTAssertLessThan(worst, 2e-6)
    }
}
