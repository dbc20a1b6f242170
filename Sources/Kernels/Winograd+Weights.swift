// The kernel side of Winograd F(2x2, 3x3): U = G g G^T for each (output, input) channel pair.

/// The 3x3 kernels a Winograd convolution multiplies with
/// (``winogradConvolution(_:channels:tiling:weights:outChannels:bias:out:scratch:turned:)``).
public enum WinogradWeightSource {
    /// Kernels transformed beforehand by ``winogradWeights(_:outChannels:inChannels:into:)``
    /// (`[16, outC, inC]`), as a layer keeps them.
    case transformed(UnsafePointer<Float>)
    /// The `[outC, inC, 3, 3]` weight itself: the convolution transforms it
    /// ``winogradBlockRows(rows:depth:)`` GEMM rows at a time into its scratch, so a large
    /// layer's whole transform (16/9 of its weight, 210 MB for SD v1.5's largest) is never
    /// written and read back.
    case untransformed(UnsafePointer<Float>)
}

/// Floats of transformed kernels a convolution over ``WinogradWeightSource/untransformed(_:)``
/// weights makes at a time (32 MB): ``winogradBlockRows(rows:depth:)``.
public let winogradBlockFloats = 1 << 23

/// GEMM rows (output channels, or input channels for an input gradient) whose kernels a
/// convolution over ``WinogradWeightSource/untransformed(_:)`` weights transforms at a time,
/// out of `rows`, when each row holds `depth` kernels: all of them when their transform fits
/// ``winogradBlockFloats``, else as many as fit, in multiples of 16 and at least 64. Smaller
/// blocks make the GEMMs shorter (each repacks its right-hand side, the transformed image);
/// larger ones are written to and read back from memory rather than cache (`MembraneBench --only
/// kernels` on SD v1.5's layers).
public func winogradBlockRows(rows: Int, depth: Int) -> Int {
    let fitting = winogradBlockFloats / (16 * max(1, depth)) / 16 * 16
    return min(rows, max(64, fitting))
}

/// Transforms 3x3 kernels `[outC, inC, 3, 3]` into the 16 matrices `U[p] = (G g G^T)[p]`, stored
/// as `[16, outC, inC]`. The same matrices serve the input gradient of that convolution (see
/// `turned` in ``winogradConvolution(_:channels:tiling:weights:outChannels:bias:out:scratch:turned:)``).
public func winogradWeights(_ w: UnsafePointer<Float>, outChannels: Int, inChannels: Int, into u: UnsafeMutablePointer<Float>) {
    winogradWeights(w, outChannels: outChannels, inChannels: inChannels, outputs: 0..<outChannels,
                    inputs: 0..<inChannels, into: u)
}

/// Transforms the kernels of output channels `outputs` and input channels `inputs` of the
/// `[outChannels, inChannels, 3, 3]` weight `w` into `U[p] = (G g G^T)[p]`, stored as
/// `[16, outputs.count, inputs.count]`: the block of the whole transform with those rows and
/// columns, bit for bit. Sixteen input channels at a time, one per vector lane.
public func winogradWeights(_ w: UnsafePointer<Float>, outChannels: Int, inChannels: Int,
                            outputs: Range<Int>, inputs: Range<Int>, into u: UnsafeMutablePointer<Float>) {
    precondition(outputs.lowerBound >= 0 && outputs.upperBound <= outChannels
                 && inputs.lowerBound >= 0 && inputs.upperBound <= inChannels, "winogradWeights: block out of range")
    let rows = outputs.count, cols = inputs.count, plane = rows * cols
    if plane == 0 { return }
    parallelFor(rows, grain: max(1, 4096 / cols)) { range in
        // The nine taps of sixteen kernels, tap-major: lane l of vector j is tap j of kernel l.
        let taps = UnsafeMutablePointer<Float>.allocate(capacity: 144)
        defer { taps.deallocate() }
        for r in range {
            let src = w + ((outputs.lowerBound + r) * inChannels + inputs.lowerBound) * 9
            var c = 0
            while c < cols {
                let n = min(16, cols - c)
                if n < 16 { taps.update(repeating: 0, count: 144) }
                for l in 0..<n {
                    for j in 0..<9 { taps[j * 16 + l] = src[(c + l) * 9 + j] }
                }
                transformKernels(taps, into: u + r * cols + c, plane: plane, lanes: n)
                c += 16
            }
        }
    }
}

/// `G g G^T` of the sixteen kernels whose taps `taps` holds tap-major (``winogradWeights(_:outChannels:inChannels:outputs:inputs:into:)``),
/// the first `lanes` of them stored at `dst + p * plane` for the 16 positions `p`.
@inline(__always)
private func transformKernels(_ taps: UnsafePointer<Float>, into dst: UnsafeMutablePointer<Float>, plane: Int, lanes: Int) {
    @inline(__always) func tap(_ j: Int) -> SIMD16<Float> { load16(taps + j * 16) }
    @inline(__always) func store(_ x: SIMD16<Float>, _ p: Int) {
        if lanes == 16 {
            UnsafeMutableRawPointer(dst + p * plane).storeBytes(of: x, as: SIMD16<Float>.self)
        } else {
            for l in 0..<lanes { dst[p * plane + l] = x[l] }
        }
    }
    let g0 = tap(0), g1 = tap(1), g2 = tap(2), g3 = tap(3), g4 = tap(4)
    let g5 = tap(5), g6 = tap(6), g7 = tap(7), g8 = tap(8)
    let half = SIMD16<Float>(repeating: 0.5)
    // Row a of t = G g is (x, y, z); row a of U = t G^T is (x, (x + y + z) / 2, (x - y + z) / 2, z).
    @inline(__always) func row(_ a: Int, _ x: SIMD16<Float>, _ y: SIMD16<Float>, _ z: SIMD16<Float>) {
        store(x, a * 4)
        store(half * (x + y + z), a * 4 + 1)
        store(half * (x - y + z), a * 4 + 2)
        store(z, a * 4 + 3)
    }
    row(0, g0, g1, g2)
    row(1, half * (g0 + g3 + g6), half * (g1 + g4 + g7), half * (g2 + g5 + g8))
    row(2, half * (g0 - g3 + g6), half * (g1 - g4 + g7), half * (g2 - g5 + g8))
    row(3, g6, g7, g8)
}
