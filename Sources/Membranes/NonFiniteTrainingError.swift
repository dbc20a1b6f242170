import Foundation

/// Training stopped because an iteration's loss or summed gradient is not finite (NaN or
/// infinite). It is raised before the optimizer step, so the membrane and the optimizer keep
/// the state of the iteration before; callers write nothing of the failed iteration.
public struct NonFiniteTrainingError: Error, CustomStringConvertible, Equatable {
    /// Which value was not finite.
    public enum Part: String, Sendable {
        case eraseLoss = "erase loss"
        case anchoringLoss = "anchoring loss"
        case totalLoss = "total loss"
        case gradient
    }

    /// The iteration that failed, counted from 1 (the state kept is that after iteration - 1).
    public let iteration: Int
    public let part: Part
    /// The value, and for a gradient the layer and its parameter (down or up).
    public let detail: String

    public var description: String {
        "iteration \(iteration): the \(part.rawValue) is not finite (\(detail)); training stopped before the optimizer step, "
            + "nothing of this iteration was kept (a smaller lr, guidance_scale or la_strength, or max_grad_norm, may help)"
    }

    /// Throws if a loss part or a gradient value is not finite: one pass over the gradient.
    /// `iteration` is the number of completed iterations; `membrane` names the layer at fault.
    static func check(loss: LossParts, gradient: ParameterVector, iteration: Int, membrane: Membrane) throws {
        for (part, value) in [(Part.eraseLoss, loss.erase), (.anchoringLoss, loss.anchoring), (.totalLoss, loss.total)] where !value.isFinite {
            throw NonFiniteTrainingError(iteration: iteration + 1, part: part, detail: "\(value)")
        }
        let bad = gradient.values.withUnsafeBufferPointer { values -> Int? in
            var sum: Float = 0
            // 0 for finite values, NaN for NaN and infinities: a branch-free pass.
            for v in values { sum += v * 0 }
            if sum == 0 { return nil }
            return values.firstIndex { !$0.isFinite }
        }
        guard let index = bad else { return }
        throw NonFiniteTrainingError(iteration: iteration + 1, part: .gradient,
                                     detail: "\(gradient.values[index]) at \(parameterName(index, in: membrane))")
    }

    /// "<layer path>.down[i]" for scalar `index` of the membrane's ``Membrane/parameters``.
    static func parameterName(_ index: Int, in membrane: Membrane) -> String {
        var offset = 0
        for path in membrane.layers.keys.sorted() {
            guard let layer = membrane.layers[path] else { continue }
            for (name, tensor) in [("down", layer.down), ("up", layer.up)] {
                if index < offset + tensor.count { return "\(path).\(name)[\(index - offset)]" }
                offset += tensor.count
            }
        }
        return "scalar \(index)"
    }
}
