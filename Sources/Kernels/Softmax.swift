// Row softmax and its backward over raw pointers.

import CKernels

/// `v` with its first `8 - keep` lanes set to 0: of a block loaded at `n - 8`, the lanes that
/// the full blocks before it have not covered.
@inline(__always)
func lastLanes(_ v: Float8, keep: Int) -> Float8 {
    v.replacing(with: 0, where: SIMD8<Int32>(0, 1, 2, 3, 4, 5, 6, 7) .< Int32(8 - keep))
}

/// Largest of the first `n` floats at `x` (`-infinity` when `n == 0`).
@inline(__always)
func rowMax(_ x: UnsafePointer<Float>, _ n: Int) -> Float {
    if n < 8 { return horizontalMax(loadPartial8(x, n, fill: -.infinity)) }
    var m = load8(x + n - 8)  // the tail, overlapping the last full block (harmless for a max)
    var i = 0
    while i + 8 <= n { m = lanewiseMax(m, load8(x + i)); i += 8 }
    return horizontalMax(m)
}

/// Dot product of the first `n` floats at `x` and `y` (fixed summation order).
@inline(__always)
func rowDot(_ x: UnsafePointer<Float>, _ y: UnsafePointer<Float>, _ n: Int) -> Float {
    if n < 8 { return (loadPartial8(x, n) * loadPartial8(y, n)).sum() }
    var s = Float8(repeating: 0)
    var i = 0
    while i + 8 <= n { s += load8(x + i) * load8(y + i); i += 8 }
    if i < n { s += lastLanes(load8(x + n - 8) * load8(y + n - 8), keep: n - i) }
    return s.sum()
}

/// `y[j] = e^(x[j] - shift)` for the first `n` floats (`y` may be `x`; `shift` must be at least
/// the row maximum); returns the sum of the `y[j]`, in a fixed order.
@inline(__always)
func expShiftedRow(_ x: UnsafePointer<Float>, _ y: UnsafeMutablePointer<Float>, _ n: Int, shift: Float) -> Float {
    if n < 8 {
        // Padding lanes load -inf, whose exponential is 0, so they add nothing to the sum.
        let e = fastExpNonPositive(loadPartial8(x, n, fill: -.infinity) - shift)
        storePartial8(e, y, n)
        return e.sum()
    }
    // Same exponential on AVX2 / AVX-512 (8 or 16 lanes per instruction instead of 4); the sum
    // runs over as many lanes, so it rounds differently per instruction set (in a fixed order).
    switch KernelISA.active {
    case .avx512: return membrane_exp_shifted_row_avx512(x, y, n, shift)
    case .avx2: return membrane_exp_shifted_row_avx2(x, y, n, shift)
    case .generic: break
    }
    // A ragged tail is done as the last 8 floats, read before the full blocks overwrite any of
    // them (when `y` is `x`); the overlapping lanes get the same values twice, counted once.
    let tail = fastExpNonPositive(load8(x + n - 8) - shift)
    var s = Float8(repeating: 0)
    var i = 0
    while i + 8 <= n {
        let e = fastExpNonPositive(load8(x + i) - shift)
        store8(e, y + i)
        s += e
        i += 8
    }
    if i < n {
        store8(tail, y + n - 8)
        s += lastLanes(tail, keep: n - i)
    }
    return s.sum()
}

/// Unnormalized, numerically stable softmax of one row in place: the first `valid` entries
/// become `e^(x[j] - max)`, entries `valid..<count` become 0 (masked keys). Returns
/// `1 / sum`, the factor that normalizes the row.
@inline(__always)
func softmaxRowUnnormalized(_ x: UnsafeMutablePointer<Float>, valid: Int, count: Int) -> Float {
    let sum = expShiftedRow(x, x, valid, shift: rowMax(x, valid))
    if count > valid { (x + valid).update(repeating: 0, count: count - valid) }
    return 1 / sum
}

/// Numerically stable softmax of one row of `count` floats: `y = e^(x - max) / sum`. `y` may be `x`.
@inline(__always)
func softmaxRow(_ x: UnsafePointer<Float>, _ y: UnsafeMutablePointer<Float>, count: Int) {
    let inv = 1 / expShiftedRow(x, y, count, shift: rowMax(x, count))
    var i = 0
    while i + 8 <= count { store8(load8(y + i) * inv, y + i); i += 8 }
    while i < count { y[i] *= inv; i += 1 }
}

/// Softmax over each of `rows` rows of `cols` floats: `y[r, :] = softmax(x[r, :])`.
///
/// Rows start every `ldx` / `ldy` floats (default `cols`); `y` may be `x`. Rows are split over
/// cores. Each row is reduced in a fixed order, so results are bit-identical from run to run.
public func softmaxRows(_ x: UnsafePointer<Float>, _ y: UnsafeMutablePointer<Float>,
                        rows: Int, cols: Int, ldx: Int? = nil, ldy: Int? = nil) {
    let lx = ldx ?? cols, ly = ldy ?? cols
    parallelFor(rows, grain: max(1, 16384 / max(cols, 1))) { range in
        for r in range { softmaxRow(x + r * lx, y + r * ly, count: cols) }
    }
}

/// Backward of ``softmaxRows(_:_:rows:cols:ldx:ldy:)``: `dx = y * (g - sum(g * y))` per row,
/// from the softmax output `y` and the output gradient `g`. `dx` may be `g`.
public func softmaxBackwardRows(_ y: UnsafePointer<Float>, _ g: UnsafePointer<Float>,
                                _ dx: UnsafeMutablePointer<Float>, rows: Int, cols: Int) {
    parallelFor(rows, grain: max(1, 16384 / max(cols, 1))) { range in
        for r in range {
            let yr = y + r * cols, gr = g + r * cols, dr = dx + r * cols
            let d = rowDot(yr, gr, cols)
            var i = 0
            while i + 8 <= cols { store8(load8(yr + i) * (load8(gr + i) - d), dr + i); i += 8 }
            while i < cols { dr[i] = yr[i] * (gr[i] - d); i += 1 }
        }
    }
}
