@testable import Kernels
import XCTest

/// The Winograd kernel transform `U = G g G^T` against a double-precision reference, and any
/// block of it (as a convolution over untransformed weights makes them) against the same rows
/// and columns of the whole transform, bit for bit.
final class WinogradWeightsTests: XCTestCase {
    let g: [[Double]] = [[1, 0, 0], [0.5, 0.5, 0.5], [0.5, -0.5, 0.5], [0, 0, 1]]

    /// A `[outC, inC, 3, 3]` weight of small integers over 8 (exact in float, as are their transforms).
    func weight(outC: Int, inC: Int, seed: UInt64) -> [Float] {
        var state = seed
        return (0..<(outC * inC * 9)).map { _ in
            state = state &* 6364136223846793005 &+ 1442695040888963407
            return Float(Int(state >> 40) % 257 - 128) / 8
        }
    }

    /// Position `p` of `G k G^T` for the 3x3 kernel `k`, in double.
    func reference(_ k: ArraySlice<Float>, _ p: Int) -> Double {
        let base = k.startIndex, a = p / 4, b = p % 4
        var s = 0.0
        for i in 0..<3 {
            for j in 0..<3 { s += g[a][i] * Double(k[base + i * 3 + j]) * g[b][j] }
        }
        return s
    }

    func testWholeTransformMatchesTheDoublePrecisionReference() {
        // 21 input channels: one block of sixteen lanes and a partial one.
        let outC = 3, inC = 21, w = weight(outC: outC, inC: inC, seed: 1)
        var u = [Float](repeating: .nan, count: 16 * outC * inC)
        winogradWeights(w, outChannels: outC, inChannels: inC, into: &u)
        for p in 0..<16 {
            for o in 0..<outC {
                for c in 0..<inC {
                    let pair = (o * inC + c) * 9
                    XCTAssertEqual(Double(u[(p * outC + o) * inC + c]), reference(w[pair..<pair + 9], p),
                                   accuracy: 1e-9, "p \(p), kernel (\(o), \(c))")
                }
            }
        }
    }

    func testEveryBlockIsTheWholeTransformsRowsAndColumns() {
        let outC = 7, inC = 37, w = weight(outC: outC, inC: inC, seed: 2)
        var whole = [Float](repeating: .nan, count: 16 * outC * inC)
        winogradWeights(w, outChannels: outC, inChannels: inC, into: &whole)
        for (outputs, inputs) in [(0..<7, 3..<37), (2..<5, 0..<37), (6..<7, 17..<18), (1..<4, 5..<21)] {
            var block = [Float](repeating: .nan, count: 16 * outputs.count * inputs.count)
            winogradWeights(w, outChannels: outC, inChannels: inC, outputs: outputs, inputs: inputs, into: &block)
            var same = true
            for p in 0..<16 {
                for (r, o) in outputs.enumerated() {
                    for (q, c) in inputs.enumerated() {
                        let x = block[(p * outputs.count + r) * inputs.count + q], y = whole[(p * outC + o) * inC + c]
                        same = same && x.bitPattern == y.bitPattern
                    }
                }
            }
            XCTAssertTrue(same, "block \(outputs) x \(inputs) differs from the whole transform")
        }
    }
}

/// A convolution over untransformed weights, transformed a block of GEMM rows at a time, against
/// the same convolution over the whole transform.
final class WinogradBlockTests: XCTestCase {
    func floats(_ n: Int, seed: UInt64) -> [Float] {
        var state = seed
        return (0..<n).map { _ in
            state = state &* 6364136223846793005 &+ 1442695040888963407
            return Float(Int(state >> 40) % 2001 - 1000) / 1000
        }
    }

    /// `channels` -> `outChannels` at 16 x 15, forward and turned, with blocks of 16 rows (a ragged last one).
    func compare(channels: Int, outChannels: Int, turned: Bool) {
        let tiling = WinogradTiling(height: 16, width: 15), pixels = 16 * 15
        // The kernels belong to a convolution from `channels` to `outChannels`, or the reverse when turned.
        let (kernelOut, kernelIn) = turned ? (channels, outChannels) : (outChannels, channels)
        let w = floats(kernelOut * kernelIn * 9, seed: 3), image = floats(channels * pixels, seed: 4)
        let bias = floats(outChannels, seed: 5)
        var u = [Float](repeating: 0, count: 16 * kernelOut * kernelIn)
        winogradWeights(w, outChannels: kernelOut, inChannels: kernelIn, into: &u)
        var whole = [Float](repeating: .nan, count: outChannels * pixels), blocks = whole
        var scratch = [Float](repeating: .nan, count: tiling.scratchCount(channels: channels, outChannels: outChannels,
                                                                           untransformed: true))
        u.withUnsafeBufferPointer { up in
            winogradConvolution(image, channels: channels, tiling: tiling, weights: .transformed(up.baseAddress!),
                                outChannels: outChannels, bias: bias, out: &whole, scratch: &scratch, turned: turned)
        }
        w.withUnsafeBufferPointer { wp in
            winogradConvolution(image, channels: channels, tiling: tiling, weights: .untransformed(wp.baseAddress!),
                                outChannels: outChannels, bias: bias, out: &blocks, scratch: &scratch, turned: turned,
                                blockRows: 16)
        }
        let scale = whole.map { abs($0) }.max() ?? 1
        let worst = zip(whole, blocks).map { abs($0 - $1) }.max() ?? .nan
        XCTAssertLessThanOrEqual(worst, 1e-6 * scale, "turned \(turned): blocks differ from the whole transform by \(worst)")
    }

    func testForwardInBlocksOfOutputChannels() { compare(channels: 5, outChannels: 70, turned: false) }

    func testInputGradientInBlocksOfInputChannels() { compare(channels: 6, outChannels: 70, turned: true) }
}
