/// Shape facts of a 2-D convolution over one CHW image: input extents, kernel, stride, padding
/// and the resulting output extents.
public struct ConvGeometry: Sendable, Equatable {
    /// Input channels.
    public let channels: Int
    /// Input rows.
    public let height: Int
    /// Input columns.
    public let width: Int
    /// Kernel rows.
    public let kernelH: Int
    /// Kernel columns.
    public let kernelW: Int
    /// Vertical stride.
    public let strideH: Int
    /// Horizontal stride.
    public let strideW: Int
    /// Zero rows added above and below.
    public let padH: Int
    /// Zero columns added left and right.
    public let padW: Int
    /// Output rows: `(height + 2 * padH - kernelH) / strideH + 1`.
    public let outH: Int
    /// Output columns: `(width + 2 * padW - kernelW) / strideW + 1`.
    public let outW: Int

    /// Plans a convolution; the padded image must be at least as large as the kernel.
    public init(channels: Int, height: Int, width: Int, kernelH: Int, kernelW: Int,
                strideH: Int = 1, strideW: Int = 1, padH: Int = 0, padW: Int = 0) {
        precondition(channels > 0 && kernelH > 0 && kernelW > 0, "conv: empty channels or kernel")
        precondition(strideH > 0 && strideW > 0 && padH >= 0 && padW >= 0, "conv: bad stride or padding")
        precondition(height + 2 * padH >= kernelH && width + 2 * padW >= kernelW,
                     "conv: kernel \(kernelH)x\(kernelW) larger than padded image \(height)x\(width) + \(padH),\(padW)")
        self.channels = channels
        self.height = height
        self.width = width
        self.kernelH = kernelH
        self.kernelW = kernelW
        self.strideH = strideH
        self.strideW = strideW
        self.padH = padH
        self.padW = padW
        self.outH = (height + 2 * padH - kernelH) / strideH + 1
        self.outW = (width + 2 * padW - kernelW) / strideW + 1
    }

    /// Rows of the column matrix: `channels * kernelH * kernelW`.
    public var colRows: Int { channels * kernelH * kernelW }
    /// Columns of the column matrix: `outH * outW`.
    public var colColumns: Int { outH * outW }
    /// A 1x1 kernel with stride 1 and no padding: the image itself is the column matrix.
    public var isPointwise: Bool {
        kernelH == 1 && kernelW == 1 && strideH == 1 && strideW == 1 && padH == 0 && padW == 0
    }

    /// The output columns `lo..<hi` whose input column `ow * strideW - padW + kj` lies inside the
    /// image, for kernel column `kj`.
    func validColumns(_ kj: Int) -> (lo: Int, hi: Int) {
        let first = padW - kj
        let lo = first <= 0 ? 0 : min(outW, (first + strideW - 1) / strideW)
        let last = width - 1 + padW - kj
        let hi = last < 0 ? 0 : min(outW, last / strideW + 1)
        return (lo, max(lo, hi))
    }

    /// Channels per parallel range so each range has a worthwhile amount of work.
    var channelGrain: Int { max(1, 32_768 / max(1, kernelH * kernelW * outH * outW)) }
}

/// Unfolds one CHW image into the column matrix `[channels * kernelH * kernelW, outH * outW]`
/// (row `(c * kernelH + ki) * kernelW + kj`, column `oh * outW + ow`), zeros where the kernel
/// covers padding. Parallel over channels.
public func im2col(_ image: UnsafePointer<Float>, _ g: ConvGeometry, _ col: UnsafeMutablePointer<Float>) {
    let plane = g.height * g.width, ohw = g.outH * g.outW
    let kh = g.kernelH, kw = g.kernelW, outH = g.outH, outW = g.outW
    let sh = g.strideH, sw = g.strideW, ph = g.padH, pw = g.padW, h = g.height, w = g.width
    parallelFor(g.channels, grain: g.channelGrain) { channels in
        for c in channels {
            let src = image + c * plane
            for ki in 0..<kh {
                for kj in 0..<kw {
                    let row = col + ((c * kh + ki) * kw + kj) * ohw
                    let (lo, hi) = g.validColumns(kj)
                    for oh in 0..<outH {
                        let d = row + oh * outW
                        let ih = oh * sh - ph + ki
                        if ih < 0 || ih >= h {
                            d.update(repeating: 0, count: outW)
                            continue
                        }
                        if lo > 0 { d.update(repeating: 0, count: lo) }
                        if hi < outW { (d + hi).update(repeating: 0, count: outW - hi) }
                        // Input column of output column ow is base + ow * sw (inside the row for lo..<hi).
                        let base = ih * w - pw + kj
                        if hi <= lo { continue }
                        if sw == 1 {
                            (d + lo).update(from: src + (base + lo), count: hi - lo)
                        } else {
                            for ow in lo..<hi { d[ow] = src[base + ow * sw] }
                        }
                    }
                }
            }
        }
    }
}

/// The adjoint of ``im2col(_:_:_:)``: folds a column matrix back into a CHW image, adding up
/// every column entry that came from the same pixel. `image` is overwritten (not accumulated
/// into). Parallel over channels, with a fixed summation order, so results are deterministic.
public func col2im(_ col: UnsafePointer<Float>, _ g: ConvGeometry, _ image: UnsafeMutablePointer<Float>) {
    let plane = g.height * g.width, ohw = g.outH * g.outW
    let kh = g.kernelH, kw = g.kernelW, outH = g.outH, outW = g.outW
    let sh = g.strideH, sw = g.strideW, ph = g.padH, pw = g.padW, h = g.height, w = g.width
    parallelFor(g.channels, grain: g.channelGrain) { channels in
        for c in channels {
            let dst = image + c * plane
            dst.update(repeating: 0, count: plane)
            for ki in 0..<kh {
                for kj in 0..<kw {
                    let row = col + ((c * kh + ki) * kw + kj) * ohw
                    let (lo, hi) = g.validColumns(kj)
                    for oh in 0..<outH {
                        let ih = oh * sh - ph + ki
                        if ih < 0 || ih >= h { continue }
                        let s = row + oh * outW
                        let base = ih * w - pw + kj
                        if hi <= lo { continue }
                        if sw == 1 {
                            let d = dst + (base + lo)
                            for i in 0..<(hi - lo) { d[i] += s[lo + i] }
                        } else {
                            for ow in lo..<hi { dst[base + ow * sw] += s[ow] }
                        }
                    }
                }
            }
        }
    }
}

/// Sums each of `rows` contiguous rows of `length` floats, in double precision, into `out`.
/// Parallel over rows; used for bias gradients (`rows` = batch * channels, `length` = pixels).
public func rowSums(_ x: UnsafePointer<Float>, rows: Int, length: Int, _ out: UnsafeMutablePointer<Double>) {
    parallelFor(rows, grain: max(1, 16_384 / max(1, length))) { r in
        for i in r { out[i] = sumBlocked(x + i * length, length) }
    }
}
