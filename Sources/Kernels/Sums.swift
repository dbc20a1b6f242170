import CKernels

// Accurate, deterministic reductions over float buffers. Each sums blocks of 64 elements in
// eight float lanes and adds the block totals in double, so the error does not grow with length
// while the inner loop still runs on SIMD registers. The order of additions is fixed for each
// instruction set; on AVX-512 (``KernelISA/active``) the blocks are added over 16 lanes, which
// rounds differently than over 8.

/// Elements per block summed in float before the block total is added in double.
let sumBlock = 64

@inline(__always)
func load8(_ p: UnsafePointer<Float>, _ i: Int) -> SIMD8<Float> {
    UnsafeRawPointer(p + i).loadUnaligned(as: SIMD8<Float>.self)
}

/// The sum of `n` floats, accumulated as described above.
public func sumBlocked(_ x: UnsafePointer<Float>, _ n: Int) -> Double {
    if KernelISA.active == .avx512 { return membrane_sum_blocked_avx512(x, n) }
    var total: Double = 0
    var i = 0
    while i + sumBlock <= n {
        var acc = SIMD8<Float>.zero
        for k in stride(from: 0, to: sumBlock, by: 8) { acc += load8(x, i + k) }
        total += Double(acc.sum())
        i += sumBlock
    }
    while i < n { total += Double(x[i]); i += 1 }
    return total
}

/// `(Σ d, Σ d²)` with `d = x - center`, over `n` floats. With `center` near the mean this is
/// the corrected two-pass variance: `var = Σd²/n - (Σd/n)²`, free of cancellation.
public func centeredMoments(_ x: UnsafePointer<Float>, _ n: Int, center: Float) -> (Double, Double) {
    var s1: Double = 0, s2: Double = 0
    if KernelISA.active == .avx512 {
        membrane_centered_moments_avx512(x, n, center, &s1, &s2)
        return (s1, s2)
    }
    let m = SIMD8<Float>(repeating: center)
    var i = 0
    while i + sumBlock <= n {
        var a1 = SIMD8<Float>.zero, a2 = SIMD8<Float>.zero
        for k in stride(from: 0, to: sumBlock, by: 8) {
            let d = load8(x, i + k) - m
            a1 += d
            a2 += d * d
        }
        s1 += Double(a1.sum())
        s2 += Double(a2.sum())
        i += sumBlock
    }
    while i < n {
        let d = Double(x[i] - center)
        s1 += d
        s2 += d * d
        i += 1
    }
    return (s1, s2)
}

/// `(Σ g, Σ g·(x - center))` over `n` elements, where `g = dy` or `g = dy·w` when `w` is given.
/// The backward pass of a normalization needs exactly these two sums.
public func centeredDot(_ dy: UnsafePointer<Float>, _ x: UnsafePointer<Float>, _ n: Int, center: Float,
                        weight w: UnsafePointer<Float>? = nil) -> (Double, Double) {
    var s1: Double = 0, s2: Double = 0
    if KernelISA.active == .avx512 {
        membrane_centered_dot_avx512(dy, x, w, n, center, &s1, &s2)
        return (s1, s2)
    }
    let m = SIMD8<Float>(repeating: center)
    var i = 0
    while i + sumBlock <= n {
        var a1 = SIMD8<Float>.zero, a2 = SIMD8<Float>.zero
        for k in stride(from: 0, to: sumBlock, by: 8) {
            var g = load8(dy, i + k)
            if let w { g *= load8(w, i + k) }
            a1 += g
            a2 += g * (load8(x, i + k) - m)
        }
        s1 += Double(a1.sum())
        s2 += Double(a2.sum())
        i += sumBlock
    }
    while i < n {
        let g = Double(w.map { dy[i] * $0[i] } ?? dy[i])
        s1 += g
        s2 += g * Double(x[i] - center)
        i += 1
    }
    return (s1, s2)
}
