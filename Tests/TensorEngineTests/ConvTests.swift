import XCTest
@testable import TensorEngine

/// Shape of a naive convolution: input [n, c, h, w], weight [o, c, kh, kw].
struct ConvCase {
    var n: Int, c: Int, h: Int, w: Int, o: Int, kh: Int, kw: Int, stride: Int, pad: Int
    var outH: Int { (h + 2 * pad - kh) / stride + 1 }
    var outW: Int { (w + 2 * pad - kw) / stride + 1 }
    var input: [Int] { [n, c, h, w] }
    var weight: [Int] { [o, c, kh, kw] }
}

/// Direct double-precision convolution with zero padding.
func naiveConv2d(_ x: [Double], _ wt: [Double], _ b: [Double]?, _ p: ConvCase) -> [Double] {
    let oh = p.outH, ow = p.outW
    var y = [Double](repeating: 0, count: p.n * p.o * oh * ow)
    for n in 0..<p.n {
        for o in 0..<p.o {
            for i in 0..<oh {
                for j in 0..<ow {
                    var s: Double = b?[o] ?? 0
                    for c in 0..<p.c {
                        for ki in 0..<p.kh {
                            for kj in 0..<p.kw {
                                let ih = i * p.stride - p.pad + ki
                                let iw = j * p.stride - p.pad + kj
                                if ih < 0 || ih >= p.h || iw < 0 || iw >= p.w { continue }
                                let xv: Double = x[((n * p.c + c) * p.h + ih) * p.w + iw]
                                let wv: Double = wt[((o * p.c + c) * p.kh + ki) * p.kw + kj]
                                s += xv * wv
                            }
                        }
                    }
                    y[((n * p.o + o) * oh + i) * ow + j] = s
                }
            }
        }
    }
    return y
}

final class ConvTests: XCTestCase {
    func check(_ name: String, _ p: ConvCase, bias: Bool, trainable: Set<Int>? = nil, samples: Int = 48,
               file: StaticString = #filePath, line: UInt = #line) {
        let shapes = bias ? [p.input, p.weight, [p.o]] : [p.input, p.weight]
        checkOp(name, shapes: shapes, trainable: trainable, samplesPerInput: samples, file: file, line: line, engine: { t in
            t[0].conv2d(weight: t[1], bias: bias ? t[2] : nil, stride: p.stride, padding: p.pad)
        }) { x in
            naiveConv2d(x[0], x[1], bias ? x[2] : nil, p)
        }
    }

    func testConv3x3Stride2Padding1() {
        check("conv3x3-s2-p1", ConvCase(n: 2, c: 3, h: 7, w: 6, o: 4, kh: 3, kw: 3, stride: 2, pad: 1), bias: true)
    }

    func testConv3x3Stride1Padding1NoBias() {
        check("conv3x3-s1-p1", ConvCase(n: 3, c: 2, h: 5, w: 4, o: 3, kh: 3, kw: 3, stride: 1, pad: 1), bias: false)
    }

    func testPointwiseFastPath() {
        check("conv1x1", ConvCase(n: 2, c: 5, h: 3, w: 4, o: 3, kh: 1, kw: 1, stride: 1, pad: 0), bias: true)
    }

    func testPointwiseWithPaddingUsesIm2col() {
        check("conv1x1-p1-s2", ConvCase(n: 2, c: 3, h: 4, w: 5, o: 2, kh: 1, kw: 1, stride: 2, pad: 1), bias: true)
    }

    func testRectangularKernelPadding2() {
        check("conv4x3-p2", ConvCase(n: 2, c: 2, h: 5, w: 6, o: 3, kh: 4, kw: 3, stride: 1, pad: 2), bias: false)
    }

    func testStrideLargerThanKernelLeavesGaps() {
        // Stride 3 with a 2x2 kernel: some input pixels are never read and get zero gradient.
        check("conv2x2-s3", ConvCase(n: 2, c: 2, h: 8, w: 7, o: 2, kh: 2, kw: 2, stride: 3, pad: 0), bias: true)
    }

    func testKernelMostlyOverPadding() {
        check("conv3x3-p2-tiny", ConvCase(n: 2, c: 2, h: 2, w: 3, o: 2, kh: 3, kw: 3, stride: 2, pad: 2), bias: true)
    }

    func testFrozenWeightAndBiasGiveOnlyInputGradient() {
        let p = ConvCase(n: 2, c: 3, h: 6, w: 5, o: 4, kh: 3, kw: 3, stride: 1, pad: 1)
        check("conv-frozen", p, bias: true, trainable: [0])
        let q = ConvCase(n: 2, c: 4, h: 3, w: 3, o: 2, kh: 1, kw: 1, stride: 1, pad: 0)
        check("conv1x1-frozen", q, bias: true, trainable: [0])
    }

    func testFrozenInputTrainsWeightAndBias() {
        let p = ConvCase(n: 2, c: 3, h: 5, w: 7, o: 2, kh: 3, kw: 2, stride: 2, pad: 1)
        check("conv-weights", p, bias: true, trainable: [1, 2])
        check("conv-bias-only", p, bias: true, trainable: [2])
        let q = ConvCase(n: 3, c: 2, h: 2, w: 5, o: 3, kh: 1, kw: 1, stride: 1, pad: 0)
        check("conv1x1-weights", q, bias: false, trainable: [1])
    }

    func testManyChannelsRunInParallel() {
        // Enough channels that im2col/col2im split over cores (few gradient samples: the
        // reference is slow).
        check("conv-wide", ConvCase(n: 2, c: 128, h: 8, w: 8, o: 2, kh: 3, kw: 3, stride: 1, pad: 1), bias: true,
              samples: 6)
    }

    func testDeterministicBitIdentical() {
        var rng = RandomSource(seed: 11)
        let x = Tensor.randn([2, 8, 10, 9], using: &rng)
        let w = Tensor.randn([6, 8, 3, 3], using: &rng), b = Tensor.randn([6], using: &rng)
        let g = Tensor.randn([2, 6, 5, 5], using: &rng)
        var outputs: [[Float]] = [], grads: [[Float]] = []
        for _ in 0..<2 {
            let xp = x.parameter(), wp = w.parameter(), bp = b.parameter()
            let y = xp.conv2d(weight: wp, bias: bp, stride: 2, padding: 1)
            y.backward(g)
            outputs.append(y.scalars)
            grads.append(xp.grad!.scalars + wp.grad!.scalars + bp.grad!.scalars)
        }
        XCTAssertEqual(outputs[0], outputs[1])
        XCTAssertEqual(grads[0], grads[1])
    }
}
