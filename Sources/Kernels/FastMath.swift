// Vectorized float32 exp and erf. Eight lanes at a time with plain SIMD arithmetic (no FMA, no
// table lookups), so the code vectorizes on any x86-64 or arm64 target.

/// Eight float lanes, the unit the vectorized kernels work in.
public typealias Float8 = SIMD8<Float>

// Cody-Waite split of ln 2: the high part has 9 significant bits, so `n * ln2Hi` is exact for
// every |n| <= 150 that range reduction produces.
@usableFromInline let expLog2e: Float = 1.44269504088896341
@usableFromInline let expLn2Hi: Float = 0.693359375
@usableFromInline let expLn2Lo: Float = -2.12194440e-4
/// 1.5 * 2^23: adding it rounds a float of magnitude < 2^22 to an integer held in the low bits.
@usableFromInline let roundingMagic: Float = 12_582_912
@usableFromInline let roundingMagicBits: Int32 = 0x4B40_0000
// e^r ~ 1 + r + c2 r^2 + ... + c6 r^6 on |r| <= ln(2)/2: a relative minimax fit made for this
// file (error 3e-9, far below float32 rounding).
@usableFromInline let expC2: Float = 0.4999999403953552
@usableFromInline let expC3: Float = 0.1666652113199234
@usableFromInline let expC4: Float = 0.04166838899254799
@usableFromInline let expC5: Float = 0.00836869701743126
@usableFromInline let expC6: Float = 0.0013814546400681138
/// Inputs below this (about ln of the smallest normal float) have subnormal exponentials.
@usableFromInline let expNormalLimit: Float = -87.33

/// `e^r` for reduced arguments `|r| <= ln(2) / 2`.
@inlinable @inline(__always)
func expPolynomial(_ r: Float8) -> Float8 {
    var p = Float8(repeating: expC6)
    p = p * r + expC5
    p = p * r + expC4
    p = p * r + expC3
    p = p * r + expC2
    p = p * r + 1
    return p * r + 1
}

/// `e^x` for `x <= 0`, the exponentials of a softmax (`x - max`): cheaper than ``fastExp(_:)-(Float8)``
/// (no overflow handling, one scaling step) with the same accuracy down to `x = -87.33`; below
/// that it returns 0 instead of a subnormal. Positive inputs give wrong results.
@inlinable @inline(__always)
public func fastExpNonPositive(_ x: Float8) -> Float8 {
    let tiny = x .< expNormalLimit
    let xc = x.replacing(with: expNormalLimit, where: tiny)
    let t = xc * expLog2e + roundingMagic
    let n = t - roundingMagic
    let ni = unsafeBitCast(t, to: SIMD8<Int32>.self) &- roundingMagicBits
    var r = xc - n * expLn2Hi
    r = r - n * expLn2Lo
    let scale = unsafeBitCast((ni &+ 127) &<< 23, to: Float8.self)
    return (expPolynomial(r) * scale).replacing(with: 0, where: tiny)
}

/// `e^x` on eight lanes; relative error below 2e-7 (about 2 ulp) for normal results.
///
/// Results below the smallest normal float come out as subnormals (to within a subnormal ulp),
/// `x < -104` gives 0, `x > 88.7228` gives +infinity and NaN stays NaN.
@inlinable @inline(__always)
public func fastExp(_ x: Float8) -> Float8 {
    // Clamp (NaN passes through both selects unchanged).
    var xc = x
    xc.replace(with: -104, where: x .< -104)
    xc.replace(with: 88.75, where: x .> 88.75)
    // n = round(x / ln 2), both as a float and as an integer.
    let t = xc * expLog2e + roundingMagic
    let n = t - roundingMagic
    let ni = unsafeBitCast(t, to: SIMD8<Int32>.self) &- roundingMagicBits
    // r = x - n ln 2, |r| <= ln(2) / 2.
    var r = xc - n * expLn2Hi
    r = r - n * expLn2Lo
    let p = expPolynomial(r)
    // Multiply by 2^n in two halves so that n from -150 to 128 needs no special case:
    // subnormal results and overflow to infinity both come out of the second product.
    let n1 = ni &>> 1
    let n2 = ni &- n1
    let s1 = unsafeBitCast((n1 &+ 127) &<< 23, to: Float8.self)
    let s2 = unsafeBitCast((n2 &+ 127) &<< 23, to: Float8.self)
    var y = p * s1 * s2
    y.replace(with: x, where: x .!= x)
    return y
}

// erf(x) = 1 - t * P(t) * e^(-x^2) with t = 1 / (1 + p|x|), a least-squares fit of the
// classical Hastings form made for this file (truncation error < 1e-8 for 0 <= x <= 4.2,
// beyond which erf rounds to 1 in float32).
@usableFromInline let erfP: Float = 0.39
@usableFromInline let erfC1: Float = 0.23532530665397644
@usableFromInline let erfC2: Float = 0.09138785302639008
@usableFromInline let erfC3: Float = 0.649560809135437
@usableFromInline let erfC4: Float = -0.6354020237922668
@usableFromInline let erfC5: Float = 0.8866654634475708
@usableFromInline let erfC6: Float = -0.2275373786687851

/// The error function on eight lanes; absolute error below 5e-7.
@inlinable @inline(__always)
public func fastErf(_ x: Float8) -> Float8 {
    let bits = unsafeBitCast(x, to: SIMD8<UInt32>.self)
    let sign = bits & 0x8000_0000
    let a = unsafeBitCast(bits & 0x7FFF_FFFF, to: Float8.self)
    let t = 1 / (a * erfP + 1)
    var q = Float8(repeating: erfC6)
    q = q * t + erfC5
    q = q * t + erfC4
    q = q * t + erfC3
    q = q * t + erfC2
    q = q * t + erfC1
    q = q * t
    let y = 1 - q * fastExp(-(a * a))
    return unsafeBitCast(unsafeBitCast(y, to: SIMD8<UInt32>.self) | sign, to: Float8.self)
}

/// The logistic function `1 / (1 + e^-x)` on eight lanes (exact 0 and 1 at the far ends).
@inlinable @inline(__always)
public func fastSigmoid(_ x: Float8) -> Float8 {
    1 / (1 + fastExp(-x))
}

/// Lanewise maximum, as one compare and select (the standard `pointwiseMax` is not inlined).
@inlinable @inline(__always)
public func lanewiseMax(_ a: Float8, _ b: Float8) -> Float8 { a.replacing(with: b, where: b .> a) }

/// Loads eight floats from `p` (any alignment).
@inlinable @inline(__always)
public func load8(_ p: UnsafePointer<Float>) -> Float8 {
    UnsafeRawPointer(p).loadUnaligned(as: Float8.self)
}

/// Stores eight floats at `p` (any alignment).
@inlinable @inline(__always)
public func store8(_ v: Float8, _ p: UnsafeMutablePointer<Float>) {
    UnsafeMutableRawPointer(p).storeBytes(of: v, as: Float8.self)
}

/// Loads the first `n < 8` floats from `p`, padding the other lanes with `fill`.
@inlinable @inline(__always)
public func loadPartial8(_ p: UnsafePointer<Float>, _ n: Int, fill: Float = 0) -> Float8 {
    var v = Float8(repeating: fill)
    withUnsafeMutableBytes(of: &v) { $0.baseAddress!.copyMemory(from: p, byteCount: n * 4) }
    return v
}

/// Stores the first `n < 8` lanes of `v` at `p`.
@inlinable @inline(__always)
public func storePartial8(_ v: Float8, _ p: UnsafeMutablePointer<Float>, _ n: Int) {
    withUnsafeBytes(of: v) { UnsafeMutableRawPointer(p).copyMemory(from: $0.baseAddress!, byteCount: n * 4) }
}

/// Largest of the eight lanes (the standard `max()` is not inlined).
@inlinable @inline(__always)
public func horizontalMax(_ v: Float8) -> Float {
    let a = v.lowHalf.replacing(with: v.highHalf, where: v.highHalf .> v.lowHalf)
    let b = a.lowHalf.replacing(with: a.highHalf, where: a.highHalf .> a.lowHalf)
    return Swift.max(b[0], b[1])
}

/// A function applied to eight lanes at a time. Kernels are generic over conforming types
/// (rather than taking closures) so that every use is specialized and inlined.
protocol LanewiseFunction {
    static func apply(_ x: Float8) -> Float8
}

/// Applies `F` to `count` floats from `x` into `y` (which may be `x`), eight at a time, split
/// over cores for long arrays.
@inline(__always)
func map8<F: LanewiseFunction>(_: F.Type, _ x: UnsafePointer<Float>, _ y: UnsafeMutablePointer<Float>, count: Int) {
    let blocks = (count + 7) / 8
    parallelFor(blocks, grain: 2048) { range in
        for b in range {
            let i = b * 8
            if i + 8 <= count {
                store8(F.apply(load8(x + i)), y + i)
            } else {
                storePartial8(F.apply(loadPartial8(x + i, count - i)), y + i, count - i)
            }
        }
    }
}

enum ExpFunction: LanewiseFunction {
    @inline(__always) static func apply(_ x: Float8) -> Float8 { fastExp(x) }
}

enum ErfFunction: LanewiseFunction {
    @inline(__always) static func apply(_ x: Float8) -> Float8 { fastErf(x) }
}

/// `y[i] = e^x[i]` for `count` floats (`y` may be `x`); see ``fastExp(_:)-(Float8)`` for accuracy.
public func fastExp(_ x: UnsafePointer<Float>, _ y: UnsafeMutablePointer<Float>, count: Int) {
    map8(ExpFunction.self, x, y, count: count)
}

/// `y[i] = erf(x[i])` for `count` floats (`y` may be `x`); absolute error below 5e-7.
public func fastErf(_ x: UnsafePointer<Float>, _ y: UnsafeMutablePointer<Float>, count: Int) {
    map8(ErfFunction.self, x, y, count: count)
}

/// `e^x` for one float, by the vectorized kernel (for scalar code that needs the same rounding).
@inlinable
public func fastExp(_ x: Float) -> Float { fastExp(Float8(repeating: x))[0] }

/// `erf(x)` for one float, by the vectorized kernel.
@inlinable
public func fastErf(_ x: Float) -> Float { fastErf(Float8(repeating: x))[0] }
