import XCTest
import Kernels
@testable import TensorEngine

/// Winograd F(2x2, 3x3) convolutions against the direct double-precision reference and against
/// the im2col path, on ragged sizes (odd extents, a partial block of eight tiles).
final class WinogradTests: XCTestCase {
    /// The forward of `conv2d` on case `p` with `winograd` kernels (or per-call transform),
    /// compared with the naive convolution.
    func compare(_ p: ConvCase, bias: Bool, prepared: Bool, seed: UInt64,
                 file: StaticString = #filePath, line: UInt = #line) {
        var rng = RandomSource(seed: seed)
        let x = Tensor.randn(p.input, using: &rng), w = Tensor.randn(p.weight, using: &rng)
        let b = bias ? Tensor.randn([p.o], using: &rng) : nil
        let tiles = WinogradTiling(height: p.outH, width: p.outW).count
        let kernels = prepared ? WinogradKernels(w) : nil
        XCTAssertNotNil(Tensor.winogradPlan(for: geometry(p), weight: w, prepared: kernels),
                        "case \(p) should take the Winograd path (\(tiles) tiles)", file: file, line: line)
        let y = x.conv2d(weight: w, bias: b, stride: 1, padding: 1, winograd: kernels)
        let expected = naiveConv2d(x.scalars.map(Double.init), w.scalars.map(Double.init),
                                   b.map { $0.scalars.map(Double.init) }, p)
        let err = relativeError(y.scalars.map(Double.init), expected)
        XCTAssertLessThan(err, 1e-6, "Winograd relative error \(err)", file: file, line: line)
    }

    func geometry(_ p: ConvCase) -> ConvGeometry {
        ConvGeometry(channels: p.c, height: p.h, width: p.w, kernelH: 3, kernelW: 3, padH: 1, padW: 1)
    }

    func testPerCallTransformOnRaggedImage() {
        // 17 x 15: 9 x 8 = 72 tiles, odd extents drop the last tile row's and column's second pixel.
        compare(ConvCase(n: 2, c: 5, h: 17, w: 15, o: 7, kh: 3, kw: 3, stride: 1, pad: 1), bias: true,
                prepared: false, seed: 1)
    }

    func testKeptKernelsOnSmallImage() {
        // 9 x 7: 5 x 4 = 20 tiles, below the per-call threshold, taken with kept kernels.
        compare(ConvCase(n: 3, c: 6, h: 9, w: 7, o: 4, kh: 3, kw: 3, stride: 1, pad: 1), bias: false,
                prepared: true, seed: 2)
        compare(ConvCase(n: 1, c: 3, h: 8, w: 8, o: 2, kh: 3, kw: 3, stride: 1, pad: 1), bias: true,
                prepared: true, seed: 3)
    }

    func testWideRowsSpanSeveralBlocksOfEightTiles() {
        compare(ConvCase(n: 1, c: 4, h: 6, w: 41, o: 3, kh: 3, kw: 3, stride: 1, pad: 1), bias: true,
                prepared: true, seed: 4)
    }

    func testKernelsAreKeptOnceAndOnlyForTheirWeight() {
        var rng = RandomSource(seed: 5)
        let w = Tensor.randn([4, 3, 3, 3], using: &rng), other = Tensor.randn([4, 3, 3, 3], using: &rng)
        let kernels = WinogradKernels(w)
        XCTAssertFalse(kernels.isKept)
        let geo = ConvGeometry(channels: 3, height: 8, width: 8, kernelH: 3, kernelW: 3, padH: 1, padW: 1)
        let first = Tensor.winogradPlan(for: geo, weight: w, prepared: kernels)
        XCTAssertTrue(kernels.isKept)
        let second = Tensor.winogradPlan(for: geo, weight: w, prepared: kernels)
        guard case .kept(let a)? = first, case .kept(let b)? = second else {
            return XCTFail("kernels that fit the cache limit are kept")
        }
        XCTAssertTrue(a.storage === b.storage, "the kept transform is reused")
        // Another weight (an adapter's merged weight, say) never uses these kernels.
        XCTAssertNil(Tensor.winogradPlan(for: geo, weight: other, prepared: kernels))
        let small = ConvGeometry(channels: 3, height: 4, width: 4, kernelH: 3, kernelW: 3, padH: 1, padW: 1)
        XCTAssertNil(Tensor.winogradPlan(for: small, weight: w, prepared: kernels), "4 tiles: im2col")
        let strided = ConvGeometry(channels: 3, height: 32, width: 32, kernelH: 3, kernelW: 3, strideH: 2, strideW: 2,
                                   padH: 1, padW: 1)
        XCTAssertNil(Tensor.winogradPlan(for: strided, weight: w, prepared: kernels), "stride 2: im2col")
    }

    /// Input gradient of case `p` in double: the output gradient `g` spread back through every kernel tap.
    func naiveInputGradient(_ g: [Double], _ w: [Double], _ p: ConvCase) -> [Double] {
        var dx = [Double](repeating: 0, count: p.n * p.c * p.h * p.w)
        for n in 0..<p.n {
            for o in 0..<p.o {
                for i in 0..<p.outH {
                    for j in 0..<p.outW {
                        let gv = g[((n * p.o + o) * p.outH + i) * p.outW + j]
                        for c in 0..<p.c {
                            for ki in 0..<3 {
                                for kj in 0..<3 {
                                    let ih = i - 1 + ki, iw = j - 1 + kj
                                    if ih < 0 || ih >= p.h || iw < 0 || iw >= p.w { continue }
                                    dx[((n * p.c + c) * p.h + ih) * p.w + iw] += gv * w[((o * p.c + c) * 3 + ki) * 3 + kj]
                                }
                            }
                        }
                    }
                }
            }
        }
        return dx
    }

    /// Forward and input gradient through the Winograd path (per-call or kept kernels) against
    /// the double-precision references; weight and bias gradients still come out (im2col path).
    func compareGradients(_ p: ConvCase, prepared: Bool, seed: UInt64, file: StaticString = #filePath, line: UInt = #line) {
        var rng = RandomSource(seed: seed)
        let x = Tensor.randn(p.input, using: &rng), w = Tensor.randn(p.weight, using: &rng)
        let b = Tensor.randn([p.o], using: &rng), g = Tensor.randn([p.n, p.o, p.outH, p.outW], using: &rng)
        let kernels = prepared ? WinogradKernels(w) : nil
        XCTAssertNotNil(Tensor.winogradPlan(for: geometry(p), weight: w, prepared: kernels),
                        file: file, line: line)
        let xp = x.parameter()
        let y = xp.conv2d(weight: w, bias: b, stride: 1, padding: 1, winograd: kernels)
        y.backward(g)
        let expected = naiveConv2d(x.scalars.map(Double.init), w.scalars.map(Double.init), b.scalars.map(Double.init), p)
        XCTAssertLessThan(relativeError(y.scalars.map(Double.init), expected), 1e-6, file: file, line: line)
        let dx = naiveInputGradient(g.scalars.map(Double.init), w.scalars.map(Double.init), p)
        let err = relativeError(xp.grad!.scalars.map(Double.init), dx)
        XCTAssertLessThan(err, 1e-6, "input gradient relative error \(err)", file: file, line: line)
    }

    func testInputGradientByWinograd() {
        // Kept kernels at 9 x 11 (30 tiles) with more output than input channels; per-call at 16 x 17.
        compareGradients(ConvCase(n: 2, c: 3, h: 9, w: 11, o: 7, kh: 3, kw: 3, stride: 1, pad: 1), prepared: true, seed: 6)
        compareGradients(ConvCase(n: 1, c: 6, h: 16, w: 17, o: 4, kh: 3, kw: 3, stride: 1, pad: 1), prepared: false, seed: 7)
    }

    func testTrainableWeightStillGetsItsGradient() {
        // The weight gradient is unchanged by Winograd (im2col), checked against finite differences.
        let p = ConvCase(n: 1, c: 2, h: 8, w: 8, o: 2, kh: 3, kw: 3, stride: 1, pad: 1)
        checkOp("winograd-weight", shapes: [p.input, p.weight, [p.o]], samplesPerInput: 12, engine: { t in
            t[0].conv2d(weight: t[1], bias: t[2], stride: 1, padding: 1, winograd: WinogradKernels(t[1]))
        }) { x in naiveConv2d(x[0], x[1], x[2], p) }
    }
}
