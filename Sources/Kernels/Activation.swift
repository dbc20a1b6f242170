import CKernels

// Elementwise activations (forward and derivative) over raw pointers, eight lanes at a time.

/// A pointwise nonlinearity with a kernel in this file.
public enum Activation: Sendable {
    /// `x * sigmoid(x)`.
    case silu
    /// Exact GELU, `x * Phi(x) = x / 2 * (1 + erf(x / sqrt 2))`.
    case gelu
    /// CLIP's approximation `x * sigmoid(1.702 x)`.
    case quickGelu
}

extension Activation {
    /// The `kind` of `membrane_activation_avx512`.
    var cKind: Int32 {
        switch self {
        case .silu: 0
        case .gelu: 1
        case .quickGelu: 2
        }
    }
}

@usableFromInline let invSqrt2: Float = 0.70710678118654752
@usableFromInline let invSqrt2Pi: Float = 0.39894228040143268
@usableFromInline let quickGeluAlpha: Float = 1.702

/// Exact GELU on eight lanes.
@inlinable @inline(__always)
public func gelu8(_ x: Float8) -> Float8 {
    0.5 * x * (1 + fastErf(x * invSqrt2))
}

/// Derivative of exact GELU on eight lanes: `Phi(x) + x * phi(x)`.
@inlinable @inline(__always)
public func geluDerivative8(_ x: Float8) -> Float8 {
    let cdf = 0.5 * (1 + fastErf(x * invSqrt2))
    let pdf = fastExp(-0.5 * x * x) * invSqrt2Pi
    return cdf + x * pdf
}

/// An activation as a pair of lanewise functions: its value and its derivative.
protocol ActivationFunction: LanewiseFunction {
    static func derivative(_ x: Float8) -> Float8
}

enum SiluFunction: ActivationFunction {
    @inline(__always) static func apply(_ x: Float8) -> Float8 { x * fastSigmoid(x) }
    @inline(__always) static func derivative(_ x: Float8) -> Float8 {
        let s = fastSigmoid(x)
        return s * (1 + x * (1 - s))
    }
}

enum GeluFunction: ActivationFunction {
    @inline(__always) static func apply(_ x: Float8) -> Float8 { gelu8(x) }
    @inline(__always) static func derivative(_ x: Float8) -> Float8 { geluDerivative8(x) }
}

enum QuickGeluFunction: ActivationFunction {
    @inline(__always) static func apply(_ x: Float8) -> Float8 { x * fastSigmoid(quickGeluAlpha * x) }
    @inline(__always) static func derivative(_ x: Float8) -> Float8 {
        let s = fastSigmoid(quickGeluAlpha * x)
        return s * (1 + quickGeluAlpha * x * (1 - s))
    }
}

/// `dx[i] = g[i] * F'(x[i])` for `count` floats, eight at a time, split over cores.
@inline(__always)
func mapDerivative8<F: ActivationFunction>(_: F.Type, _ x: UnsafePointer<Float>, _ g: UnsafePointer<Float>,
                                           _ dx: UnsafeMutablePointer<Float>, count: Int) {
    let blocks = (count + 7) / 8
    parallelFor(blocks, grain: 2048) { range in
        for b in range {
            let i = b * 8
            if i + 8 <= count {
                store8(load8(g + i) * F.derivative(load8(x + i)), dx + i)
            } else {
                let n = count - i
                storePartial8(loadPartial8(g + i, n) * F.derivative(loadPartial8(x + i, n)), dx + i, n)
            }
        }
    }
}

/// `y[i] = f(x[i])` for `count` floats (`y` may be `x`), split over cores.
public func activationForward(_ kind: Activation, _ x: UnsafePointer<Float>,
                              _ y: UnsafeMutablePointer<Float>, count: Int) {
    if KernelISA.active == .avx512 {
        return parallelFor((count + 15) / 16, grain: 1024) { blocks in
            let lo = blocks.lowerBound * 16, hi = min(count, blocks.upperBound * 16)
            membrane_activation_avx512(kind.cKind, x + lo, y + lo, hi - lo)
        }
    }
    switch kind {
    case .silu: map8(SiluFunction.self, x, y, count: count)
    case .gelu: map8(GeluFunction.self, x, y, count: count)
    case .quickGelu: map8(QuickGeluFunction.self, x, y, count: count)
    }
}

/// `dx[i] = g[i] * f'(x[i])` for `count` floats (`dx` may be `g`), split over cores.
public func activationBackward(_ kind: Activation, _ x: UnsafePointer<Float>, _ g: UnsafePointer<Float>,
                               _ dx: UnsafeMutablePointer<Float>, count: Int) {
    if KernelISA.active == .avx512 {
        return parallelFor((count + 15) / 16, grain: 1024) { blocks in
            let lo = blocks.lowerBound * 16, hi = min(count, blocks.upperBound * 16)
            membrane_activation_backward_avx512(kind.cKind, x + lo, g + lo, dx + lo, hi - lo)
        }
    }
    switch kind {
    case .silu: mapDerivative8(SiluFunction.self, x, g, dx, count: count)
    case .gelu: mapDerivative8(GeluFunction.self, x, g, dx, count: count)
    case .quickGelu: mapDerivative8(QuickGeluFunction.self, x, g, dx, count: count)
    }
}

/// GEGLU forward: each of `rows` input rows is `[a (half floats), gate (half floats)]` and
/// `y[r, j] = a[j] * gelu(gate[j])`, giving rows of `half` floats.
public func gegluForward(_ x: UnsafePointer<Float>, _ y: UnsafeMutablePointer<Float>, rows: Int, half: Int) {
    let isa = KernelISA.active
    parallelFor(rows, grain: max(1, 4096 / max(half, 1))) { range in
        switch isa {
        case .avx512:
            return membrane_geglu_rows_avx512(x + range.lowerBound * 2 * half, y + range.lowerBound * half, range.count, half)
        case .avx2:
            return membrane_geglu_rows_avx2(x + range.lowerBound * 2 * half, y + range.lowerBound * half, range.count, half)
        case .generic: break
        }
        for r in range {
            let a = x + r * 2 * half, gate = a + half, out = y + r * half
            var j = 0
            while j + 8 <= half { store8(load8(a + j) * gelu8(load8(gate + j)), out + j); j += 8 }
            if j < half {
                let n = half - j
                storePartial8(loadPartial8(a + j, n) * gelu8(loadPartial8(gate + j, n)), out + j, n)
            }
        }
    }
}

/// GEGLU backward: from the input `x` [rows, 2 * half] and output gradient `g` [rows, half],
/// writes `dx` [rows, 2 * half] = `[g * gelu(gate), g * a * gelu'(gate)]`.
public func gegluBackward(_ x: UnsafePointer<Float>, _ g: UnsafePointer<Float>,
                          _ dx: UnsafeMutablePointer<Float>, rows: Int, half: Int) {
    parallelFor(rows, grain: max(1, 2048 / max(half, 1))) { range in
        for r in range {
            let a = x + r * 2 * half, gate = a + half, gr = g + r * half
            let da = dx + r * 2 * half, dgate = da + half
            var j = 0
            while j < half {
                let n = min(8, half - j)
                let av = n == 8 ? load8(a + j) : loadPartial8(a + j, n)
                let gv = n == 8 ? load8(gate + j) : loadPartial8(gate + j, n)
                let go = n == 8 ? load8(gr + j) : loadPartial8(gr + j, n)
                let dav = go * gelu8(gv)
                let dgv = go * av * geluDerivative8(gv)
                if n == 8 {
                    store8(dav, da + j)
                    store8(dgv, dgate + j)
                } else {
                    storePartial8(dav, da + j, n)
                    storePartial8(dgv, dgate + j, n)
                }
                j += 8
            }
        }
    }
}
