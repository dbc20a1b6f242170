import Kernels

extension Tensor {
    /// Applies a pointwise activation; the backward pass recomputes the derivative from the input.
    func activation(_ kind: Activation) -> Tensor {
        let out = Tensor(uninitialized: shape)
        activationForward(kind, pointer, out.pointer, count: count)
        let x = detached
        return Tensor.record(out, inputs: [self]) { g in
            let dx = Tensor(uninitialized: x.shape)
            activationBackward(kind, x.pointer, g.pointer, dx.pointer, count: x.count)
            return [dx]
        }
    }

    /// SiLU (swish): `x * sigmoid(x)`, elementwise.
    public func silu() -> Tensor { activation(.silu) }

    /// Exact GELU: `x / 2 * (1 + erf(x / sqrt 2))`, elementwise (PyTorch's default `gelu`).
    public func gelu() -> Tensor { activation(.gelu) }

    /// CLIP's QuickGELU: `x * sigmoid(1.702 x)`, elementwise.
    public func quickGelu() -> Tensor { activation(.quickGelu) }

    /// GEGLU gating as in diffusers: the last axis (even length 2C) is split into halves
    /// `[hidden, gate]` and the result is `hidden * gelu(gate)`, with last axis C.
    public func geglu() -> Tensor {
        precondition(rank >= 1 && shape[rank - 1] % 2 == 0, "geglu: last axis of \(shape) must be even")
        let half = shape[rank - 1] / 2, rows = half == 0 ? 0 : count / (2 * half)
        let out = Tensor(uninitialized: Array(shape.dropLast()) + [half])
        gegluForward(pointer, out.pointer, rows: rows, half: half)
        let x = detached
        return Tensor.record(out, inputs: [self]) { g in
            let dx = Tensor(uninitialized: x.shape)
            gegluBackward(x.pointer, g.pointer, dx.pointer, rows: rows, half: half)
            return [dx]
        }
    }
}
