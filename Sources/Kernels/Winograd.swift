// Winograd F(2x2, 3x3) convolution: 3x3 kernels, stride 1, padding 1.
//
// Each 2x2 block of output pixels ("tile") is computed from the 4x4 input patch around it as
// Y = A^T [ (G g G^T) .* (B^T d B) ] A: the 36 multiply-adds per tile and channel pair of a direct
// 3x3 convolution become 16, done as 16 GEMMs (one per position of the 4x4 transform):
// M[p] [outC x tiles] = U[p] [outC x inC] * V[p] [inC x tiles]. The transforms only add, subtract
// and halve, so the results differ from im2col's by float rounding only.
//
//   B^T = | 1  0 -1  0 |    G = | 1    0    0   |    A^T = | 1  1  1  0 |
//         | 0  1  1  0 |        | 1/2  1/2  1/2 |          | 0  1 -1 -1 |
//         | 0 -1  1  0 |        | 1/2 -1/2  1/2 |
//         | 0  1  0 -1 |        | 0    0    1   |

/// Tile counts of a Winograd F(2x2, 3x3) convolution over an `height x width` image.
public struct WinogradTiling: Sendable, Equatable {
    /// Tile rows: `ceil(height / 2)`.
    public let rows: Int
    /// Tile columns: `ceil(width / 2)`.
    public let columns: Int
    /// Output (and input) rows.
    public let height: Int
    /// Output (and input) columns.
    public let width: Int

    /// Tiles covering an `height x width` output.
    public init(height: Int, width: Int) {
        self.height = height
        self.width = width
        rows = (height + 1) / 2
        columns = (width + 1) / 2
    }

    /// Number of tiles.
    public var count: Int { rows * columns }

    /// Whether ``winogradConvolution(_:channels:tiling:weights:outChannels:bias:out:scratch:turned:)`` computes
    /// the convolution `g` describes (3x3 kernel, stride 1, padding 1).
    public static func applies(to g: ConvGeometry) -> Bool {
        g.kernelH == 3 && g.kernelW == 3 && g.strideH == 1 && g.strideW == 1 && g.padH == 1 && g.padW == 1
    }

    /// Floats of the scratch buffer ``winogradConvolution(_:channels:tiling:weights:outChannels:bias:out:scratch:turned:)``
    /// needs: the transformed input, the 16 GEMM products and, for `untransformed` weights
    /// (``WinogradWeightSource/untransformed(_:)``), one block of transformed kernels.
    public func scratchCount(channels: Int, outChannels: Int, untransformed: Bool = false) -> Int {
        16 * (channels + outChannels) * count
            + (untransformed ? 16 * winogradBlockRows(rows: outChannels, depth: channels) * channels : 0)
    }
}

/// Sixteen floats at `p` (unaligned).
@inline(__always)
func load16(_ p: UnsafePointer<Float>) -> SIMD16<Float> {
    UnsafeRawPointer(p).loadUnaligned(as: SIMD16<Float>.self)
}

/// Stores the first `n` lanes of `x` at `p` (all eight when `n >= 8`).
@inline(__always)
func storeFirst(_ x: Float8, _ p: UnsafeMutablePointer<Float>, _ n: Int) {
    if n >= 8 { store8(x, p) } else { storePartial8(x, p, n) }
}

/// Transforms the 4x4 input patches of every tile of `channels` planes of `tiling.height x
/// tiling.width` floats (zero padding of 1 around each plane) into `V[p] = (B^T d B)[p]`, stored
/// as `[16, channels, tiles]`. Eight tiles of a tile row at a time.
func winogradInput(_ image: UnsafePointer<Float>, channels: Int, tiling: WinogradTiling,
                   into v: UnsafeMutablePointer<Float>) {
    let h = tiling.height, w = tiling.width, tiles = tiling.count, cols = tiling.columns
    let matrix = channels * tiles
    // The padded plane: one zero row and column before the image, zeros after it up to the tiles'
    // extent plus 16 floats of slack for the 16-wide loads of the last block.
    let pw = 2 * cols + 2 + 16, ph = 2 * tiling.rows + 2
    parallelFor(channels, grain: max(1, 16_384 / max(1, tiles * 16))) { range in
        let padded = UnsafeMutablePointer<Float>.allocate(capacity: ph * pw)
        defer { padded.deallocate() }
        padded.update(repeating: 0, count: ph * pw)
        for c in range {
            let src = image + c * h * w
            for y in 0..<h { (padded + (y + 1) * pw + 1).update(from: src + y * w, count: w) }
            for ty in 0..<tiling.rows {
                let r0 = padded + 2 * ty * pw, r1 = r0 + pw, r2 = r1 + pw, r3 = r2 + pw
                var tx = 0
                while tx < cols {
                    let n = cols - tx, x = 2 * tx
                    // B^T d, column b: the patch rows combined; patch column b of eight tiles is
                    // every other float from input column x + b.
                    func column(_ b: Int) -> (Float8, Float8, Float8, Float8) {
                        let lo = b < 2 ? 0 : 2, odd = b % 2 == 1
                        let p0 = load16(r0 + x + lo), p1 = load16(r1 + x + lo)
                        let p2 = load16(r2 + x + lo), p3 = load16(r3 + x + lo)
                        let d0 = odd ? p0.oddHalf : p0.evenHalf, d1 = odd ? p1.oddHalf : p1.evenHalf
                        let d2 = odd ? p2.oddHalf : p2.evenHalf, d3 = odd ? p3.oddHalf : p3.evenHalf
                        return (d0 - d2, d1 + d2, d2 - d1, d1 - d3)
                    }
                    let k0 = column(0), k1 = column(1), k2 = column(2), k3 = column(3)
                    let out = v + c * tiles + ty * cols + tx
                    // Row a of (B^T d) B from the four columns' entries a.
                    func row(_ a: Int, _ t0: Float8, _ t1: Float8, _ t2: Float8, _ t3: Float8) {
                        let base = out + 4 * a * matrix
                        storeFirst(t0 - t2, base, n)
                        storeFirst(t1 + t2, base + matrix, n)
                        storeFirst(t2 - t1, base + 2 * matrix, n)
                        storeFirst(t1 - t3, base + 3 * matrix, n)
                    }
                    row(0, k0.0, k1.0, k2.0, k3.0)
                    row(1, k0.1, k1.1, k2.1, k3.1)
                    row(2, k0.2, k1.2, k2.2, k3.2)
                    row(3, k0.3, k1.3, k2.3, k3.3)
                    tx += 8
                }
            }
        }
    }
}

/// From the 16 products `M[p]` (`[16, outChannels, tiles]`), writes `out = A^T M A` for every tile
/// (`[outChannels, height, width]`, pixels past the image dropped), plus `bias[o]` when given.
func winogradOutput(_ m: UnsafePointer<Float>, outChannels: Int, tiling: WinogradTiling,
                    bias: UnsafePointer<Float>?, out: UnsafeMutablePointer<Float>) {
    let h = tiling.height, w = tiling.width, tiles = tiling.count, cols = tiling.columns
    let matrix = outChannels * tiles
    parallelFor(outChannels, grain: max(1, 16_384 / max(1, tiles * 16))) { range in
        // Two output rows of a tile row, 16 floats of slack for the last block.
        let staging = UnsafeMutablePointer<Float>.allocate(capacity: 2 * (2 * cols + 16))
        defer { staging.deallocate() }
        let upper = staging, lower = staging + 2 * cols + 16
        for o in range {
            let b = bias?[o] ?? 0
            let dst = out + o * h * w
            for ty in 0..<tiling.rows {
                var tx = 0
                while tx < cols {
                    let n = cols - tx
                    let src = m + o * tiles + ty * cols + tx
                    @inline(__always) func at(_ p: Int) -> Float8 {
                        n >= 8 ? load8(src + p * matrix) : loadPartial8(src + p * matrix, n)
                    }
                    // Column c of A^T M: (m0 + m1 + m2, m1 - m2 - m3) from the column's four entries.
                    @inline(__always) func column(_ c: Int) -> (Float8, Float8) {
                        let m0 = at(c), m1 = at(4 + c), m2 = at(8 + c), m3 = at(12 + c)
                        return (m0 + m1 + m2, m1 - m2 - m3)
                    }
                    let c0 = column(0), c1 = column(1), c2 = column(2), c3 = column(3)
                    let y00 = c0.0 + c1.0 + c2.0 + b, y01 = c1.0 - c2.0 - c3.0 + b
                    let y10 = c0.1 + c1.1 + c2.1 + b, y11 = c1.1 - c2.1 - c3.1 + b
                    var top = SIMD16<Float>(), bottom = SIMD16<Float>()
                    top.evenHalf = y00; top.oddHalf = y01
                    bottom.evenHalf = y10; bottom.oddHalf = y11
                    UnsafeMutableRawPointer(upper + 2 * tx).storeBytes(of: top, as: SIMD16<Float>.self)
                    UnsafeMutableRawPointer(lower + 2 * tx).storeBytes(of: bottom, as: SIMD16<Float>.self)
                    tx += 8
                }
                (dst + 2 * ty * w).update(from: upper, count: w)
                if 2 * ty + 1 < h { (dst + (2 * ty + 1) * w).update(from: lower, count: w) }
            }
        }
    }
}

/// Convolves one `[channels, height, width]` image with 3x3 kernels (stride 1, padding 1) into
/// `out` (`[outChannels, height, width]`, overwritten), adding `bias` when given. `scratch` holds
/// ``WinogradTiling/scratchCount(channels:outChannels:untransformed:)`` floats.
///
/// With `turned`, the kernels are instead those of a convolution from `outChannels` to `channels`
/// channels (transformed: `[16, channels, outChannels]`; untransformed: `[channels, outChannels,
/// 3, 3]`), and this computes that convolution's input gradient: the image convolved with its
/// kernels turned by 180 degrees, channels swapped. In the transformed domain the turn swaps rows
/// and columns 0 and 3 of each 4x4 `G g G^T`, so plane `p` of the turned kernels is plane
/// `swap03(p)` transposed, which the GEMMs read as is.
public func winogradConvolution(_ image: UnsafePointer<Float>, channels: Int, tiling: WinogradTiling,
                                weights: WinogradWeightSource, outChannels: Int,
                                bias: UnsafePointer<Float>?, out: UnsafeMutablePointer<Float>,
                                scratch: UnsafeMutablePointer<Float>, turned: Bool = false) {
    winogradConvolution(image, channels: channels, tiling: tiling, weights: weights, outChannels: outChannels,
                        bias: bias, out: out, scratch: scratch, turned: turned,
                        blockRows: winogradBlockRows(rows: outChannels, depth: channels))
}

/// ``winogradConvolution(_:channels:tiling:weights:outChannels:bias:out:scratch:turned:)`` with
/// untransformed weights transformed `blockRows` GEMM rows at a time (at most
/// ``winogradBlockRows(rows:depth:)``, which the scratch holds).
func winogradConvolution(_ image: UnsafePointer<Float>, channels: Int, tiling: WinogradTiling,
                         weights: WinogradWeightSource, outChannels: Int,
                         bias: UnsafePointer<Float>?, out: UnsafeMutablePointer<Float>,
                         scratch: UnsafeMutablePointer<Float>, turned: Bool, blockRows: Int) {
    let tiles = tiling.count
    let v = scratch, m = scratch + 16 * channels * tiles
    winogradInput(image, channels: channels, tiling: tiling, into: v)
    @inline(__always) func swap03(_ i: Int) -> Int { i == 0 ? 3 : i == 3 ? 0 : i }
    // Rows `rows` of the 16 products M[p] [outChannels x tiles] from the kernels' rows `rows`
    // (`u`: 16 planes of `rows.count` x `channels`, or their transposes when turned).
    func products(_ rows: Range<Int>, _ u: UnsafePointer<Float>, planeStride: Int, ld: Int) {
        for p in 0..<16 {
            let plane = turned ? swap03(p / 4) * 4 + swap03(p % 4) : p
            sgemm(transA: turned ? .transposed : .none, m: rows.count, n: tiles, k: channels,
                  a: u + plane * planeStride, lda: ld, b: v + p * channels * tiles, ldb: tiles,
                  c: m + (p * outChannels + rows.lowerBound) * tiles, ldc: tiles)
        }
    }
    switch weights {
    case .transformed(let u):
        products(0..<outChannels, u, planeStride: outChannels * channels, ld: turned ? outChannels : channels)
    case .untransformed(let w):
        let block = m + 16 * outChannels * tiles
        for r0 in stride(from: 0, to: outChannels, by: blockRows) {
            let rows = r0..<min(outChannels, r0 + blockRows)
            if turned {
                winogradWeights(w, outChannels: channels, inChannels: outChannels, outputs: 0..<channels,
                                inputs: rows, into: block)
                products(rows, block, planeStride: channels * rows.count, ld: rows.count)
            } else {
                winogradWeights(w, outChannels: outChannels, inChannels: channels, outputs: rows,
                                inputs: 0..<channels, into: block)
                products(rows, block, planeStride: rows.count * channels, ld: channels)
            }
        }
    }
    winogradOutput(m, outChannels: outChannels, tiling: tiling, bias: bias, out: out)
}
