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
        XCTAssertNotNil(Tensor.winogradKernels(for: geometry(p), weight: w, prepared: kernels),
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
        let first = Tensor.winogradKernels(for: geo, weight: w, prepared: kernels)
        XCTAssertTrue(kernels.isKept)
        let second = Tensor.winogradKernels(for: geo, weight: w, prepared: kernels)
        XCTAssertTrue(first?.storage === second?.storage, "the kept transform is reused")
        // Another weight (an adapter's merged weight, say) never uses these kernels.
        XCTAssertNil(Tensor.winogradKernels(for: geo, weight: other, prepared: kernels))
        let small = ConvGeometry(channels: 3, height: 4, width: 4, kernelH: 3, kernelW: 3, padH: 1, padW: 1)
        XCTAssertNil(Tensor.winogradKernels(for: small, weight: w, prepared: kernels), "4 tiles: im2col")
        let strided = ConvGeometry(channels: 3, height: 32, width: 32, kernelH: 3, kernelW: 3, strideH: 2, strideW: 2,
                                   padH: 1, padW: 1)
        XCTAssertNil(Tensor.winogradKernels(for: strided, weight: w, prepared: kernels), "stride 2: im2col")
    }

    func testMatchesIm2colAndGradientsFlowThrough() {
        // Same layer through Winograd (forward) and the shared backward: the input gradient is the
        // one of the im2col path, and the forward agrees with it to float rounding.
        var rng = RandomSource(seed: 6)
        let x = Tensor.randn([2, 8, 16, 16], using: &rng), w = Tensor.randn([5, 8, 3, 3], using: &rng)
        let b = Tensor.randn([5], using: &rng), g = Tensor.randn([2, 5, 16, 16], using: &rng)
        let xp = x.parameter()
        let y = xp.conv2d(weight: w, bias: b, stride: 1, padding: 1, winograd: WinogradKernels(w))
        y.backward(g)
        let p = ConvCase(n: 2, c: 8, h: 16, w: 16, o: 5, kh: 3, kw: 3, stride: 1, pad: 1)
        let expected = naiveConv2d(x.scalars.map(Double.init), w.scalars.map(Double.init), b.scalars.map(Double.init), p)
        XCTAssertLessThan(relativeError(y.scalars.map(Double.init), expected), 1e-6)
        // d(sum g * y)/dx = conv of g with the flipped, transposed kernels: check one pixel by hand.
        let gx = xp.grad!
        var s = 0.0
        let (c, i, j) = (3, 7, 9)
        for o in 0..<5 {
            for ki in 0..<3 {
                for kj in 0..<3 {
                    let oi = i + 1 - ki, oj = j + 1 - kj
                    if oi < 0 || oi >= 16 || oj < 0 || oj >= 16 { continue }
                    let gv = Double(g.pointer[((1 * 5 + o) * 16 + oi) * 16 + oj])
                    let wv = Double(w.pointer[((o * 8 + c) * 3 + ki) * 3 + kj])
                    s += gv * wv
                }
            }
        }
        XCTAssertEqual(Double(gx.pointer[((1 * 8 + c) * 16 + i) * 16 + j]), s, accuracy: 1e-4)
    }
}
