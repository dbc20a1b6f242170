import Kernels

extension Tensor {
    /// Softmax along the last axis, numerically stable (the row maximum is subtracted first).
    ///
    /// Only the last axis is supported (`axis` must be `-1` or `rank - 1`). The backward pass
    /// uses the saved output: `dx = y * (g - sum(g * y))` per row.
    public func softmax(axis: Int = -1) -> Tensor {
        precondition(rank >= 1, "softmax of a scalar")
        precondition(normalizeAxis(axis, rank: rank) == rank - 1,
                     "softmax: only the last axis is supported (axis \(axis), shape \(shape))")
        let cols = shape[rank - 1], rows = cols == 0 ? 0 : count / cols
        let out = Tensor(uninitialized: shape)
        softmaxRows(pointer, out.pointer, rows: rows, cols: cols)
        let y = out.detached
        return Tensor.record(out, inputs: [self]) { g in
            let dx = Tensor(uninitialized: y.shape)
            softmaxBackwardRows(y.pointer, g.pointer, dx.pointer, rows: rows, cols: cols)
            return [dx]
        }
    }
}
