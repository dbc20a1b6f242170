import XCTest
@testable import TensorEngine

/// A naive double-precision reference for an op: inputs (row-major) to output (row-major).
typealias Reference = ([[Double]]) -> [Double]

/// Checks an engine op forward against `reference`, then its backward against central finite
/// differences of `reference` in float64. Inputs listed in `trainable` become parameters; the
/// others stay frozen and must receive no gradient.
///
/// The scalar objective is `sum(G * op(inputs))` for a random `G`, so every output element counts.
func checkOp(_ name: String,
             shapes: [[Int]],
             trainable: Set<Int>? = nil,
             seed: UInt64 = 1,
             inputRange: ClosedRange<Float> = -1...1,
             makeInputs: ((inout RandomSource) -> [Tensor])? = nil,
             forwardTolerance: Double = 1e-5,
             gradientTolerance: Double = 2e-3,
             samplesPerInput: Int = 48,
             step: Double = 1e-4,
             file: StaticString = #filePath, line: UInt = #line,
             engine: ([Tensor]) -> Tensor,
             reference: Reference) {
    var rng = RandomSource(seed: seed)
    let raw = makeInputs?(&rng) ?? shapes.map { Tensor.uniform($0, in: inputRange, using: &rng) }
    let train = trainable ?? Set(raw.indices)
    let inputs = raw.enumerated().map { train.contains($0.offset) ? $0.element.parameter() : $0.element }
    let doubles = raw.map { $0.scalars.map(Double.init) }

    // Forward.
    let out = engine(inputs)
    let expected = reference(doubles)
    XCTAssertEqual(out.count, expected.count, "\(name): output size", file: file, line: line)
    guard out.count == expected.count else { return }
    let fwdErr = relativeError(out.scalars.map(Double.init), expected)
    XCTAssertLessThan(fwdErr, forwardTolerance, "\(name): forward relative error \(fwdErr)", file: file, line: line)

    // Backward.
    guard !train.isEmpty else { return }
    let g = Tensor.uniform(out.shape, in: -1...1, using: &rng)
    let gd = g.scalars.map(Double.init)
    out.backward(g)
    func objective(_ xs: [[Double]]) -> Double {
        zip(reference(xs), gd).reduce(0) { $0 + $1.0 * $1.1 }
    }
    for (i, input) in inputs.enumerated() {
        guard train.contains(i) else {
            XCTAssertNil(input.grad, "\(name): frozen input \(i) got a gradient", file: file, line: line)
            continue
        }
        guard let analytic = input.grad else {
            XCTFail("\(name): input \(i) got no gradient", file: file, line: line); continue
        }
        XCTAssertEqual(analytic.shape, input.shape, "\(name): gradient shape of input \(i)", file: file, line: line)
        let n = doubles[i].count
        var picks = Array(0..<n)
        if n > samplesPerInput {
            var r = RandomSource(seed: seed &+ UInt64(i) &+ 99)
            picks = (0..<samplesPerInput).map { _ in r.int(in: 0..<n) }
        }
        var a: [Double] = [], num: [Double] = []
        for j in picks {
            var plus = doubles, minus = doubles
            plus[i][j] += step
            minus[i][j] -= step
            num.append((objective(plus) - objective(minus)) / (2 * step))
            a.append(Double(analytic.scalars[j]))
        }
        let err = relativeError(a, num)
        XCTAssertLessThan(err, gradientTolerance, "\(name): gradient of input \(i), relative error \(err)", file: file, line: line)
    }
}

/// ||a - b|| / max(||b||, tiny).
func relativeError(_ a: [Double], _ b: [Double]) -> Double {
    precondition(a.count == b.count)
    var d = 0.0, n = 0.0
    for (x, y) in zip(a, b) { d += (x - y) * (x - y); n += y * y }
    return (d / max(n, 1e-30)).squareRoot()
}

/// Row-major index helpers for naive references.
func strides(_ shape: [Int]) -> [Int] {
    var s = [Int](repeating: 1, count: shape.count)
    for i in stride(from: shape.count - 2, through: 0, by: -1) where i >= 0 { s[i] = s[i + 1] * shape[i + 1] }
    return s
}
