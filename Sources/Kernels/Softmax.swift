// Row softmax and its backward over raw pointers.

/// Largest of the first `n` floats at `x` (`-infinity` when `n == 0`).
@inline(__always)
func rowMax(_ x: UnsafePointer<Float>, _ n: Int) -> Float {
    var m = Float8(repeating: -.infinity)
    var i = 0
    while i + 8 <= n { m = pointwiseMax(m, load8(x + i)); i += 8 }
    if i < n { m = pointwiseMax(m, loadPartial8(x + i, n - i, fill: -.infinity)) }
    return m.max()
}

/// Dot product of the first `n` floats at `x` and `y` (fixed summation order).
@inline(__always)
func rowDot(_ x: UnsafePointer<Float>, _ y: UnsafePointer<Float>, _ n: Int) -> Float {
    var s = Float8(repeating: 0)
    var i = 0
    while i + 8 <= n { s += load8(x + i) * load8(y + i); i += 8 }
    if i < n { s += loadPartial8(x + i, n - i) * loadPartial8(y + i, n - i) }
    return s.sum()
}

/// Numerically stable softmax of one row: `y[j] = e^(x[j] - max) / sum` over the first `valid`
/// entries; entries `valid..<count` of `y` are set to 0 (masked keys). `y` may be `x`.
@inline(__always)
func softmaxRow(_ x: UnsafePointer<Float>, _ y: UnsafeMutablePointer<Float>, valid: Int, count: Int) {
    let m = rowMax(x, valid)
    var s = Float8(repeating: 0)
    var i = 0
    while i + 8 <= valid {
        let e = fastExp(load8(x + i) - m)
        store8(e, y + i)
        s += e
        i += 8
    }
    if i < valid {
        // Padding lanes load -inf, whose exp is 0, so they add nothing to the sum.
        let e = fastExp(loadPartial8(x + i, valid - i, fill: -.infinity) - m)
        storePartial8(e, y + i, valid - i)
        s += e
    }
    let inv = 1 / s.sum()
    i = 0
    while i + 8 <= valid { store8(load8(y + i) * inv, y + i); i += 8 }
    while i < valid { y[i] *= inv; i += 1 }
    if count > valid { (y + valid).update(repeating: 0, count: count - valid) }
}

/// Softmax over each of `rows` rows of `cols` floats: `y[r, :] = softmax(x[r, :])`.
///
/// Rows start every `ldx` / `ldy` floats (default `cols`); `y` may be `x`. Rows are split over
/// cores. Each row is reduced in a fixed order, so results are bit-identical from run to run.
public func softmaxRows(_ x: UnsafePointer<Float>, _ y: UnsafeMutablePointer<Float>,
                        rows: Int, cols: Int, ldx: Int? = nil, ldy: Int? = nil) {
    let lx = ldx ?? cols, ly = ldy ?? cols
    parallelFor(rows, grain: max(1, 16384 / max(cols, 1))) { range in
        for r in range { softmaxRow(x + r * lx, y + r * ly, valid: cols, count: cols) }
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
