import XCTest
import Foundation
@testable import TensorEngine

func naiveSilu(_ x: [Double]) -> [Double] {
    var y: [Double] = []
    for v in x { y.append(v / (1 + Foundation.exp(-v))) }
    return y
}

func naiveGelu(_ v: Double) -> Double {
    0.5 * v * (1 + Foundation.erf(v / 2.0.squareRoot()))
}

func naiveGelu(_ x: [Double]) -> [Double] {
    var y: [Double] = []
    for v in x { y.append(naiveGelu(v)) }
    return y
}

func naiveQuickGelu(_ x: [Double]) -> [Double] {
    var y: [Double] = []
    for v in x { y.append(v / (1 + Foundation.exp(-1.702 * v))) }
    return y
}

/// GEGLU in double: rows of [a, gate] -> a * gelu(gate).
func naiveGeglu(_ x: [Double], half: Int) -> [Double] {
    let rows = x.count / (2 * half)
    var y: [Double] = []
    for r in 0..<rows {
        for j in 0..<half {
            let a: Double = x[r * 2 * half + j]
            let gate: Double = x[r * 2 * half + half + j]
            y.append(a * naiveGelu(gate))
        }
    }
    return y
}

final class ActivationTests: XCTestCase {
    func testSilu() {
        checkOp("silu", shapes: [[3, 37]], inputRange: -6...6, engine: { $0[0].silu() }) { x in naiveSilu(x[0]) }
    }

    func testGelu() {
        checkOp("gelu", shapes: [[2, 3, 13]], inputRange: -5...5, engine: { $0[0].gelu() }) { x in naiveGelu(x[0]) }
    }

    func testQuickGelu() {
        checkOp("quickGelu", shapes: [[41]], inputRange: -6...6, engine: { $0[0].quickGelu() }) { x in naiveQuickGelu(x[0]) }
    }

    func testGeglu() {
        // [2, 3, 10] -> [2, 3, 5]: half of 5 lanes exercises the partial-vector path.
        checkOp("geglu", shapes: [[2, 3, 10]], inputRange: -3...3, engine: { $0[0].geglu() }) { x in naiveGeglu(x[0], half: 5) }
        checkOp("geglu-wide", shapes: [[3, 42]], inputRange: -3...3, engine: { $0[0].geglu() }) { x in naiveGeglu(x[0], half: 21) }
    }

    func testLargeTensorsSplitOverCores() {
        // Above the parallel grain, with an odd tail.
        checkOp("silu-large", shapes: [[50, 203]], inputRange: -8...8, samplesPerInput: 16,
                engine: { $0[0].silu() }) { x in naiveSilu(x[0]) }
        checkOp("gelu-large", shapes: [[50, 203]], inputRange: -8...8, samplesPerInput: 16,
                engine: { $0[0].gelu() }) { x in naiveGelu(x[0]) }
        checkOp("geglu-large", shapes: [[300, 2 * 67]], inputRange: -4...4, samplesPerInput: 16,
                engine: { $0[0].geglu() }) { x in naiveGeglu(x[0], half: 67) }
    }

    func testExtremeInputsStayFinite() {
        let x = Tensor(shape: [6], values: [-1000, -90, -20, 20, 90, 1000]).parameter()
        for y in [x.silu(), x.gelu(), x.quickGelu()] {
            let v = y.scalars
            XCTAssertEqual(v[0], 0)
            XCTAssertEqual(v[5], 1000)
            for e in v { XCTAssertTrue(e.isFinite) }
            y.backward(Tensor.full([6], 1))
            for e in x.grad!.scalars { XCTAssertTrue(e.isFinite) }
            XCTAssertEqual(x.grad!.scalars[5], 1)
            x.zeroGrad()
        }
    }

    func testActivationsDeterministic() {
        var rng = RandomSource(seed: 11)
        let x = Tensor.randn([40, 1001], using: &rng)
        XCTAssertEqual(x.gelu().scalars, x.gelu().scalars)
        XCTAssertEqual(x.silu().scalars, x.silu().scalars)
    }
}
