import Kernels

extension Tensor {
    /// Group normalization of [N, C, ...] (any number of spatial axes, possibly none): the
    /// channels are split into `groups` groups of consecutive channels, each (sample, group) is
    /// normalized to zero mean and unit variance (biased variance plus `eps`), then scaled by
    /// `weight` [C] and shifted by `bias` [C] per channel when given.
    ///
    /// Statistics are accumulated in double from float blocks (two-pass), in parallel over
    /// (sample, group). The backward pass computes the input, weight and bias gradients, each
    /// only when that input requires one.
    public func groupNorm(groups: Int, weight: Tensor? = nil, bias: Tensor? = nil, eps: Float = 1e-5) -> Tensor {
        precondition(rank >= 2, "groupNorm: input \(shape) needs [N, C, ...]")
        let batch = shape[0], channels = shape[1], spatial = shape.dropFirst(2).reduce(1, *)
        precondition(groups > 0 && channels % groups == 0, "groupNorm: \(channels) channels in \(groups) groups")
        if let weight { precondition(weight.shape == [channels], "groupNorm: weight \(weight.shape) for \(channels) channels") }
        if let bias { precondition(bias.shape == [channels], "groupNorm: bias \(bias.shape) for \(channels) channels") }
        let out = Tensor(uninitialized: shape)
        let stats = Tensor(uninitialized: [2, batch * groups])
        let mean = stats.pointer, rstd = stats.pointer + batch * groups
        groupNormForward(pointer, batch: batch, channels: channels, spatial: spatial, groups: groups, eps: eps,
                         weight: weight.map { UnsafePointer($0.pointer) }, bias: bias.map { UnsafePointer($0.pointer) },
                         out.pointer, mean: mean, rstd: rstd)

        let x = detached, w = weight?.detached
        let needX = requiresGrad, needW = weight?.requiresGrad ?? false, needB = bias?.requiresGrad ?? false
        let (inputs, slots) = Tensor.optionalInputs(self, weight, bias)
        return Tensor.record(out, inputs: inputs) { g in
            let gx = needX ? Tensor(uninitialized: x.shape) : nil
            let gw = needW ? Tensor(uninitialized: [channels]) : nil
            let gb = needB ? Tensor(uninitialized: [channels]) : nil
            groupNormBackward(x.pointer, g.pointer, batch: batch, channels: channels, spatial: spatial, groups: groups,
                              weight: w.map { UnsafePointer($0.pointer) },
                              mean: stats.pointer, rstd: stats.pointer + batch * groups,
                              dx: gx?.pointer, dWeight: gw?.pointer, dBias: gb?.pointer)
            return slots.map { [gx, gw, gb][$0] }
        }
    }

    /// Layer normalization over the last axis (of extent D): each row is normalized to zero mean
    /// and unit variance (biased variance plus `eps`), then scaled by `weight` [D] and shifted by
    /// `bias` [D] elementwise when given.
    ///
    /// Parallel over rows; statistics in double. The backward pass computes the input, weight
    /// and bias gradients, each only when that input requires one.
    public func layerNorm(weight: Tensor? = nil, bias: Tensor? = nil, eps: Float = 1e-5) -> Tensor {
        precondition(rank >= 1, "layerNorm of a scalar")
        let dim = shape[rank - 1], rows = count / max(dim, 1)
        if let weight { precondition(weight.shape == [dim], "layerNorm: weight \(weight.shape) for last axis \(dim)") }
        if let bias { precondition(bias.shape == [dim], "layerNorm: bias \(bias.shape) for last axis \(dim)") }
        let out = Tensor(uninitialized: shape)
        let stats = Tensor(uninitialized: [2, rows])
        layerNormForward(pointer, rows: rows, dim: dim, eps: eps,
                         weight: weight.map { UnsafePointer($0.pointer) }, bias: bias.map { UnsafePointer($0.pointer) },
                         out.pointer, mean: stats.pointer, rstd: stats.pointer + rows)

        let x = detached, w = weight?.detached
        let needX = requiresGrad, needW = weight?.requiresGrad ?? false, needB = bias?.requiresGrad ?? false
        let (inputs, slots) = Tensor.optionalInputs(self, weight, bias)
        return Tensor.record(out, inputs: inputs) { g in
            let gx = needX ? Tensor(uninitialized: x.shape) : nil
            let gw = needW ? Tensor(uninitialized: [dim]) : nil
            let gb = needB ? Tensor(uninitialized: [dim]) : nil
            layerNormBackward(x.pointer, g.pointer, rows: rows, dim: dim, weight: w.map { UnsafePointer($0.pointer) },
                              mean: stats.pointer, rstd: stats.pointer + rows,
                              dx: gx?.pointer, dWeight: gw?.pointer, dBias: gb?.pointer)
            return slots.map { [gx, gw, gb][$0] }
        }
    }

    /// The inputs to record for an op on `x` with an optional weight and bias, and for each
    /// recorded input its slot among (x, weight, bias).
    static func optionalInputs(_ x: Tensor, _ weight: Tensor?, _ bias: Tensor?) -> ([Tensor], [Int]) {
        var inputs = [x], slots = [0]
        if let weight { inputs.append(weight); slots.append(1) }
        if let bias { inputs.append(bias); slots.append(2) }
        return (inputs, slots)
    }
}
