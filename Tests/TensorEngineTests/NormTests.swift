import XCTest
@testable import TensorEngine

/// Naive group normalization of [n, c, spatial] in double.
func naiveGroupNorm(_ x: [Double], _ w: [Double]?, _ b: [Double]?, n: Int, c: Int, spatial: Int,
                    groups: Int, eps: Double) -> [Double] {
    var y = [Double](repeating: 0, count: x.count)
    let per = c / groups, span = per * spatial
    for s in 0..<n {
        for g in 0..<groups {
            let base = (s * c + g * per) * spatial
            var mean: Double = 0
            for i in 0..<span { mean += x[base + i] }
            mean /= Double(span)
            var variance: Double = 0
            for i in 0..<span { let d: Double = x[base + i] - mean; variance += d * d }
            variance /= Double(span)
            let rstd: Double = 1 / (variance + eps).squareRoot()
            for i in 0..<span {
                let ch = g * per + i / spatial
                let scale: Double = w?[ch] ?? 1
                let shift: Double = b?[ch] ?? 0
                y[base + i] = (x[base + i] - mean) * rstd * scale + shift
            }
        }
    }
    return y
}

/// Naive layer normalization over rows of `dim` in double.
func naiveLayerNorm(_ x: [Double], _ w: [Double]?, _ b: [Double]?, dim: Int, eps: Double) -> [Double] {
    var y = [Double](repeating: 0, count: x.count)
    for r in 0..<(x.count / dim) {
        let base = r * dim
        var mean: Double = 0
        for i in 0..<dim { mean += x[base + i] }
        mean /= Double(dim)
        var variance: Double = 0
        for i in 0..<dim { let d: Double = x[base + i] - mean; variance += d * d }
        variance /= Double(dim)
        let rstd: Double = 1 / (variance + eps).squareRoot()
        for i in 0..<dim {
            let scale: Double = w?[i] ?? 1
            let shift: Double = b?[i] ?? 0
            y[base + i] = (x[base + i] - mean) * rstd * scale + shift
        }
    }
    return y
}

final class NormTests: XCTestCase {
    /// Runs groupNorm on `shape` with optional weight and bias (inputs in that order).
    func checkGroupNorm(_ name: String, _ shape: [Int], groups: Int, weight: Bool, bias: Bool,
                        eps: Float = 1e-5, trainable: Set<Int>? = nil, inputRange: ClosedRange<Float> = -1...1,
                        forwardTolerance: Double = 1e-5, samples: Int = 48,
                        file: StaticString = #filePath, line: UInt = #line) {
        let c = shape[1], spatial = shape.dropFirst(2).reduce(1, *)
        var shapes = [shape]
        if weight { shapes.append([c]) }
        if bias { shapes.append([c]) }
        let bi = weight ? 2 : 1
        checkOp(name, shapes: shapes, trainable: trainable, inputRange: inputRange, forwardTolerance: forwardTolerance,
                samplesPerInput: samples, file: file, line: line, engine: { t in
            t[0].groupNorm(groups: groups, weight: weight ? t[1] : nil, bias: bias ? t[bi] : nil, eps: eps)
        }) { x in
            naiveGroupNorm(x[0], weight ? x[1] : nil, bias ? x[bi] : nil, n: shape[0], c: c, spatial: spatial,
                           groups: groups, eps: Double(eps))
        }
    }

    /// Runs layerNorm on `shape` with optional weight and bias (inputs in that order).
    func checkLayerNorm(_ name: String, _ shape: [Int], weight: Bool, bias: Bool, eps: Float = 1e-5,
                        trainable: Set<Int>? = nil, inputRange: ClosedRange<Float> = -1...1,
                        forwardTolerance: Double = 1e-5, samples: Int = 48,
                        file: StaticString = #filePath, line: UInt = #line) {
        let d = shape[shape.count - 1]
        var shapes = [shape]
        if weight { shapes.append([d]) }
        if bias { shapes.append([d]) }
        let bi = weight ? 2 : 1
        checkOp(name, shapes: shapes, trainable: trainable, inputRange: inputRange, forwardTolerance: forwardTolerance,
                samplesPerInput: samples, file: file, line: line, engine: { t in
            t[0].layerNorm(weight: weight ? t[1] : nil, bias: bias ? t[bi] : nil, eps: eps)
        }) { x in
            naiveLayerNorm(x[0], weight ? x[1] : nil, bias ? x[bi] : nil, dim: d, eps: Double(eps))
        }
    }

    func testGroupNormAffine() {
        checkGroupNorm("gn", [2, 6, 3, 5], groups: 3, weight: true, bias: true)
    }

    func testGroupNormLongSpansUseBlockedSums() {
        // Spans of 144 and 150 elements: full 64-element blocks plus a tail.
        checkGroupNorm("gn-long", [2, 4, 9, 8], groups: 2, weight: true, bias: true)
        checkGroupNorm("gn-long-1d", [3, 6, 50], groups: 2, weight: false, bias: true)
    }

    func testGroupNormShapesWithoutWeights() {
        checkGroupNorm("gn-plain", [3, 4, 7], groups: 2, weight: false, bias: false)
        checkGroupNorm("gn-nospatial", [2, 8], groups: 2, weight: true, bias: false, eps: 0.1)
        checkGroupNorm("gn-one-group", [2, 3, 2, 3], groups: 1, weight: true, bias: true)
        checkGroupNorm("gn-instance", [2, 3, 2, 3], groups: 3, weight: true, bias: true)
    }

    func testGroupNormFrozenAffine() {
        checkGroupNorm("gn-frozen", [2, 4, 3, 3], groups: 2, weight: true, bias: true, trainable: [0])
        checkGroupNorm("gn-params-only", [2, 4, 3, 3], groups: 2, weight: true, bias: true, trainable: [1, 2])
        checkGroupNorm("gn-bias-only", [2, 4, 3, 3], groups: 4, weight: true, bias: true, trainable: [2])
    }

    func testGroupNormLargeOffsetIsAccurate() {
        // Mean 1000 with unit spread: one-pass float statistics would lose most digits here.
        checkGroupNorm("gn-offset", [2, 4, 10, 10], groups: 2, weight: true, bias: true,
                       inputRange: 999...1001, forwardTolerance: 5e-4)
    }

    func testLayerNormAffine() {
        checkLayerNorm("ln", [2, 3, 10], weight: true, bias: true)
        checkLayerNorm("ln-long", [3, 150], weight: true, bias: true)
    }

    func testLayerNormVariants() {
        checkLayerNorm("ln-plain", [5, 7], weight: false, bias: false)
        checkLayerNorm("ln-weight", [4, 9], weight: true, bias: false, eps: 0.1)
        checkLayerNorm("ln-bias", [2, 2, 5], weight: false, bias: true)
        checkLayerNorm("ln-frozen", [3, 70], weight: true, bias: true, trainable: [0])
        checkLayerNorm("ln-params-only", [6, 65], weight: true, bias: true, trainable: [1, 2])
        checkLayerNorm("ln-offset", [4, 96], weight: true, bias: true, inputRange: 999...1001, forwardTolerance: 5e-4)
    }

    func testNormsSplitOverCores() {
        // Shapes large enough that every parallel loop runs in more than one range.
        checkGroupNorm("gn-parallel", [2, 32, 16, 16], groups: 8, weight: true, bias: true, samples: 12)
        checkLayerNorm("ln-parallel", [256, 128], weight: true, bias: true, samples: 6)
    }

    func testNormsDeterministic() {
        var rng = RandomSource(seed: 5)
        let x = Tensor.randn([2, 32, 9, 9], using: &rng)
        let w = Tensor.randn([32], using: &rng), b = Tensor.randn([32], using: &rng)
        let g = Tensor.randn([2, 32, 9, 9], using: &rng)
        var results: [[Float]] = []
        for _ in 0..<2 {
            let xp = x.parameter(), wp = w.parameter(), bp = b.parameter()
            let y = xp.groupNorm(groups: 8, weight: wp, bias: bp, eps: 1e-6)
            y.backward(g)
            let l = xp.reshaped([-1, 32]).layerNorm(weight: wp, bias: bp)
            results.append(y.scalars + l.scalars + xp.grad!.scalars + wp.grad!.scalars + bp.grad!.scalars)
        }
        XCTAssertEqual(results[0], results[1])
    }
}
