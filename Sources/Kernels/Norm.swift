import Foundation

// Group and layer normalization over raw buffers. Statistics are computed per normalized span
// with a two-pass, double-accumulated scheme (``centeredMoments(_:_:center:)``); the forward
// pass stores each span's mean and 1/sqrt(var + eps) for the backward pass.

/// Mean and reciprocal standard deviation of `n` floats (biased variance, as in PyTorch).
@inline(__always)
func spanStatistics(_ x: UnsafePointer<Float>, _ n: Int, eps: Float) -> (mean: Float, rstd: Float) {
    let center = Float(sumBlocked(x, n) / Double(n))
    let (s1, s2) = centeredMoments(x, n, center: center)
    let shift = s1 / Double(n)
    let variance = max(0, s2 / Double(n) - shift * shift)
    let mean = Double(center) + shift
    return (Float(mean), Float(1 / (variance + Double(eps)).squareRoot()))
}

/// Group normalization of `x` [batch, channels, spatial] with `groups` groups of consecutive
/// channels: `y = (x - mean) * rstd * weight[c] + bias[c]` (weight and bias optional, [channels]).
/// Writes per-(n, group) `mean` and `rstd` ([batch * groups] each). Parallel over (n, group).
public func groupNormForward(_ x: UnsafePointer<Float>, batch: Int, channels: Int, spatial: Int, groups: Int,
                             eps: Float, weight: UnsafePointer<Float>?, bias: UnsafePointer<Float>?,
                             _ y: UnsafeMutablePointer<Float>,
                             mean: UnsafeMutablePointer<Float>, rstd: UnsafeMutablePointer<Float>) {
    precondition(groups > 0 && channels % groups == 0, "groupNorm: \(channels) channels in \(groups) groups")
    let perGroup = channels / groups, span = perGroup * spatial
    parallelFor(batch * groups, grain: max(1, 16_384 / max(1, span))) { r in
        for ng in r {
            let base = ng * span
            let (m, s) = spanStatistics(x + base, span, eps: eps)
            mean[ng] = m
            rstd[ng] = s
            let c0 = (ng % groups) * perGroup
            for j in 0..<perGroup {
                let c = c0 + j
                let scale = s * (weight?[c] ?? 1), shift = bias?[c] ?? 0
                let src = x + base + j * spatial, dst = y + base + j * spatial
                for i in 0..<spatial { dst[i] = (src[i] - m) * scale + shift }
            }
        }
    }
}

/// Backward of ``groupNormForward(_:batch:channels:spatial:groups:eps:weight:bias:_:mean:rstd:)``
/// given the output gradient `dy`. Fills each non-nil output: `dx` [batch, channels, spatial],
/// `dWeight` and `dBias` [channels] (overwritten, summed over the batch in a fixed order).
public func groupNormBackward(_ x: UnsafePointer<Float>, _ dy: UnsafePointer<Float>,
                              batch: Int, channels: Int, spatial: Int, groups: Int,
                              weight: UnsafePointer<Float>?,
                              mean: UnsafePointer<Float>, rstd: UnsafePointer<Float>,
                              dx: UnsafeMutablePointer<Float>?,
                              dWeight: UnsafeMutablePointer<Float>?, dBias: UnsafeMutablePointer<Float>?) {
    let perGroup = channels / groups, span = perGroup * spatial
    // Per (n, c): Σ dy and Σ dy·xhat over the channel's pixels.
    var sums = [Double](repeating: 0, count: batch * channels * 2)
    sums.withUnsafeMutableBufferPointer { buffer in
        let sdy = buffer.baseAddress!, sdyx = sdy + batch * channels
        parallelFor(batch * groups, grain: max(1, 8_192 / max(1, span))) { r in
            for ng in r {
                let n = ng / groups, c0 = (ng % groups) * perGroup
                let m = mean[ng], s = rstd[ng]
                var a: Double = 0, b: Double = 0
                for j in 0..<perGroup {
                    let c = c0 + j, at = (n * channels + c) * spatial
                    let (s1, s2) = centeredDot(dy + at, x + at, spatial, center: m)
                    sdy[n * channels + c] = s1
                    sdyx[n * channels + c] = s2 * Double(s)
                    let w = Double(weight?[c] ?? 1)
                    a += w * s1
                    b += w * s2 * Double(s)
                }
                guard let dx else { continue }
                // dx = rstd * (w·dy - mean(w·dy) - xhat * mean(w·dy·xhat))
                let k0 = Float(-Double(s) * a / Double(span))
                let k1 = Float(-Double(s) * Double(s) * b / Double(span))
                for j in 0..<perGroup {
                    let c = c0 + j, at = (n * channels + c) * spatial
                    let kd = s * (weight?[c] ?? 1)
                    let g = dy + at, src = x + at, dst = dx + at
                    for i in 0..<spatial { dst[i] = kd * g[i] + k1 * (src[i] - m) + k0 }
                }
            }
        }
        for c in 0..<channels {
            var gw: Double = 0, gb: Double = 0
            for n in 0..<batch {
                gw += sdyx[n * channels + c]
                gb += sdy[n * channels + c]
            }
            dWeight?[c] = Float(gw)
            dBias?[c] = Float(gb)
        }
    }
}

/// Layer normalization of each of `rows` rows of `dim` floats:
/// `y = (x - mean) * rstd * weight[d] + bias[d]` (weight and bias optional, [dim]).
/// Writes per-row `mean` and `rstd` ([rows] each). Parallel over rows.
public func layerNormForward(_ x: UnsafePointer<Float>, rows: Int, dim: Int, eps: Float,
                             weight: UnsafePointer<Float>?, bias: UnsafePointer<Float>?,
                             _ y: UnsafeMutablePointer<Float>,
                             mean: UnsafeMutablePointer<Float>, rstd: UnsafeMutablePointer<Float>) {
    parallelFor(rows, grain: max(1, 16_384 / max(1, dim))) { r in
        for row in r {
            let src = x + row * dim, dst = y + row * dim
            let (m, s) = spanStatistics(src, dim, eps: eps)
            mean[row] = m
            rstd[row] = s
            switch (weight, bias) {
            case let (w?, b?): for i in 0..<dim { dst[i] = (src[i] - m) * s * w[i] + b[i] }
            case let (w?, nil): for i in 0..<dim { dst[i] = (src[i] - m) * s * w[i] }
            case let (nil, b?): for i in 0..<dim { dst[i] = (src[i] - m) * s + b[i] }
            case (nil, nil): for i in 0..<dim { dst[i] = (src[i] - m) * s }
            }
        }
    }
}

/// Backward of ``layerNormForward(_:rows:dim:eps:weight:bias:_:mean:rstd:)`` given `dy`. Fills
/// each non-nil output: `dx` [rows, dim], `dWeight` and `dBias` [dim] (overwritten). The input
/// gradient is parallel over rows; the parameter gradients are parallel over columns, each
/// summing its rows in order, so results do not depend on the core count.
public func layerNormBackward(_ x: UnsafePointer<Float>, _ dy: UnsafePointer<Float>, rows: Int, dim: Int,
                              weight: UnsafePointer<Float>?,
                              mean: UnsafePointer<Float>, rstd: UnsafePointer<Float>,
                              dx: UnsafeMutablePointer<Float>?,
                              dWeight: UnsafeMutablePointer<Float>?, dBias: UnsafeMutablePointer<Float>?) {
    if let dx {
        parallelFor(rows, grain: max(1, 8_192 / max(1, dim))) { r in
            for row in r {
                let src = x + row * dim, g = dy + row * dim, dst = dx + row * dim
                let m = mean[row], s = rstd[row]
                let (a, b) = centeredDot(g, src, dim, center: m, weight: weight)
                // dx = rstd * (w·dy - mean(w·dy) - xhat * mean(w·dy·xhat))
                let k0 = Float(-Double(s) * a / Double(dim))
                let k1 = Float(-Double(s) * Double(s) * Double(s) * b / Double(dim))
                if let w = weight {
                    for i in 0..<dim { dst[i] = s * w[i] * g[i] + k1 * (src[i] - m) + k0 }
                } else {
                    for i in 0..<dim { dst[i] = s * g[i] + k1 * (src[i] - m) + k0 }
                }
            }
        }
    }
    if dWeight == nil && dBias == nil { return }
    var acc = [Double](repeating: 0, count: 2 * dim)
    acc.withUnsafeMutableBufferPointer { buffer in
        let aw = buffer.baseAddress!, ab = aw + dim
        parallelFor(dim, grain: max(8, 16_384 / max(1, rows))) { cols in
            let lo = cols.lowerBound, n = cols.count
            for row in 0..<rows {
                let src = x + row * dim + lo, g = dy + row * dim + lo
                let m = mean[row], s = rstd[row]
                let pw = aw + lo, pb = ab + lo
                for i in 0..<n {
                    pw[i] += Double(g[i] * ((src[i] - m) * s))
                    pb[i] += Double(g[i])
                }
            }
        }
        for i in 0..<dim {
            dWeight?[i] = Float(aw[i])
            dBias?[i] = Float(ab[i])
        }
    }
}
