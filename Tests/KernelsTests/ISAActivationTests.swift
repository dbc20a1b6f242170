import Foundation
@testable import Kernels
import XCTest

/// GEGLU, SiLU, GELU and QuickGELU, forward and backward, on each instruction set this
/// processor runs, against double-precision references (Foundation's exp and erf).
/// Tolerances: 2e-6 (|f(x)| + |x|) for values and 2e-6 |g| (1 + |x|) for gradients: the
/// exponential is within 2e-7 relative and erf within 5e-7 absolute.
final class ISAActivationTests: XCTestCase {
    static func sigmoid(_ x: Double) -> Double { 1 / (1 + Foundation.exp(-x)) }
    static func gelu(_ x: Double) -> Double { 0.5 * x * (1 + Foundation.erf(x / 2.0.squareRoot())) }

    /// f and f' in double for each activation.
    let references: [(Activation, (Double) -> Double, (Double) -> Double)] = [
        (.silu, { $0 * sigmoid($0) }, { let s = sigmoid($0); return s * (1 + $0 * (1 - s)) }),
        (.gelu, { gelu($0) }, { 0.5 * (1 + Foundation.erf($0 / 2.0.squareRoot())) + $0 * Foundation.exp(-0.5 * $0 * $0) / (2 * Double.pi).squareRoot() }),
        (.quickGelu, { $0 * sigmoid(1.702 * $0) }, { let s = sigmoid(1.702 * $0); return s * (1 + 1.702 * $0 * (1 - s)) }),
    ]

    func testActivationsMatchDoubleReference() throws {
        try forEachISA { isa in
            for (kind, f, derivative) in references {
                for count in [1, 7, 15, 16, 17, 100, 40_000] {
                    var values = TestValues(seed: UInt64(count))
                    let x = values.array(count, scale: 20), g = values.array(count, scale: 3)
                    var y = [Float](repeating: .nan, count: count), dx = y
                    y.withUnsafeMutableBufferPointer { activationForward(kind, x, $0.baseAddress!, count: count) }
                    dx.withUnsafeMutableBufferPointer { activationBackward(kind, x, g, $0.baseAddress!, count: count) }
                    let want = x.map { f(Double($0)) }
                    let wantGrad = zip(x, g).map { Double($1) * derivative(Double($0)) }
                    assertClose(y, want, tolerance: { 2e-6 * (abs(want[$0]) + abs(Double(x[$0]))) + 1e-30 },
                                "\(isa) \(kind) of \(count)")
                    assertClose(dx, wantGrad, tolerance: { 2e-6 * abs(Double(g[$0])) * (1 + abs(Double(x[$0]))) + 1e-30 },
                                "\(isa) \(kind)' of \(count)")
                }
            }
        }
    }

    /// Every instruction set treats the ends as the Swift kernels do: silu(+inf) = inf,
    /// silu(-inf) = -inf * 0 = NaN, NaN stays NaN, silu(-100) rounds to (minus) zero.
    func testActivationsAtTheEnds() throws {
        try forEachISA { isa in
            let x: [Float] = [.infinity, -.infinity, .nan, 100, -100]
            var y = [Float](repeating: 0, count: x.count)
            y.withUnsafeMutableBufferPointer { activationForward(.silu, x, $0.baseAddress!, count: x.count) }
            XCTAssertEqual(y[0], .infinity, "\(isa)")
            XCTAssertTrue(y[1].isNaN, "\(isa)")
            XCTAssertTrue(y[2].isNaN, "\(isa)")
            XCTAssertEqual(y[3], 100, "\(isa)")
            XCTAssertEqual(y[4], 0, accuracy: 1e-40, "\(isa)")
        }
    }

    func testGEGLUMatchesDoubleReference() throws {
        try forEachISA { isa in
            for half in [1, 7, 8, 15, 16, 17, 33, 64, 320] {
                let rows = 5
                var values = TestValues(seed: UInt64(half))
                let x = values.array(rows * 2 * half, scale: 6)
                var y = [Float](repeating: .nan, count: rows * half)
                y.withUnsafeMutableBufferPointer { gegluForward(x, $0.baseAddress!, rows: rows, half: half) }
                var want = [Double](repeating: 0, count: rows * half)
                var bound = want
                for r in 0..<rows {
                    for j in 0..<half {
                        let a = Double(x[r * 2 * half + j]), gate = Double(x[r * 2 * half + half + j])
                        want[r * half + j] = a * Self.gelu(gate)
                        bound[r * half + j] = 2e-6 * abs(a) * (1 + abs(gate))
                    }
                }
                assertClose(y, want, tolerance: { bound[$0] + 1e-30 }, "\(isa) GEGLU half \(half)")
            }
        }
    }
}
