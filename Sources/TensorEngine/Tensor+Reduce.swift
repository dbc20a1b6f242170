import Kernels

extension Tensor {
    /// Sum of all elements, as a one-element tensor of shape [].
    public func sum() -> Tensor {
        var s: Double = 0
        let x = pointer
        for i in 0..<count { s += Double(x[i]) }
        let out = Tensor(shape: [], values: [Float(s)])
        let shape = self.shape
        return Tensor.record(out, inputs: [self]) { g in [Tensor.full(shape, g.item)] }
    }

    /// Mean of all elements, as a one-element tensor of shape [].
    public func mean() -> Tensor { sum() * (1 / Float(max(count, 1))) }

    /// Mean over `axis`, which is removed from the shape.
    public func mean(axis: Int) -> Tensor {
        let a = normalizeAxis(axis, rank: rank)
        let outer = shape[..<a].reduce(1, *), n = shape[a], inner = shape[(a + 1)...].reduce(1, *)
        var outShape = shape
        outShape.remove(at: a)
        let out = Tensor.zeros(outShape)
        let x = pointer, o = out.pointer, scale = 1 / Float(n)
        parallelFor(outer, grain: 1) { r in
            for i in r {
                for j in 0..<n { for k in 0..<inner { o[i * inner + k] += x[(i * n + j) * inner + k] } }
                for k in 0..<inner { o[i * inner + k] *= scale }
            }
        }
        let inShape = shape
        return Tensor.record(out, inputs: [self]) { g in
            var kept = inShape
            kept[a] = 1
            return [g.reshaped(kept).broadcast(to: inShape) * scale]
        }
    }

    /// Mean squared error between `self` and `target` (both tracked for gradients).
    public func mse(_ target: Tensor) -> Tensor {
        precondition(shape == target.shape, "mse of \(shape) and \(target.shape)")
        let x = pointer, y = target.pointer, n = count
        var s: Double = 0
        for i in 0..<n { let d = Double(x[i] - y[i]); s += d * d }
        let out = Tensor(shape: [], values: [Float(s / Double(max(n, 1)))])
        let a = self.detached, b = target.detached
        let needA = requiresGrad, needB = target.requiresGrad
        return Tensor.record(out, inputs: [self, target]) { g in
            let scale = 2 * g.item / Float(max(n, 1))
            let d = Tensor.broadcasting(a, b, .sub)
            return [needA ? d.affine(scale: scale) : nil, needB ? d.affine(scale: -scale) : nil]
        }
    }
}
