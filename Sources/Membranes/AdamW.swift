import Foundation
import TensorEngine

/// AdamW (decoupled weight decay, as torch.optim.AdamW) over a membrane's parameters, updated
/// in place.
public struct AdamW: Sendable {
    /// The optimizer's state: what a checkpoint must keep to continue bit for bit.
    public struct Moments: Equatable, Sendable {
        /// Steps taken.
        public var steps: Int
        /// First moments, laid out as the parameters.
        public var m: ParameterVector
        /// Second moments, laid out as the parameters.
        public var v: ParameterVector

        /// Moments before the first step, for `count` parameter scalars.
        public init(count: Int) {
            steps = 0
            m = ParameterVector(zeros: count)
            v = ParameterVector(zeros: count)
        }

        public init(steps: Int, m: ParameterVector, v: ParameterVector) {
            self.steps = steps
            self.m = m
            self.v = v
        }
    }

    public var beta1: Float
    public var beta2: Float
    public var epsilon: Float
    public var weightDecay: Float
    public var moments: Moments

    /// An optimizer with `config`'s hyper-parameters and `moments` (fresh ones by default).
    public init(parameterCount: Int, config: TrainingConfig, moments: Moments? = nil) {
        beta1 = config.adamBeta1
        beta2 = config.adamBeta2
        epsilon = config.adamEpsilon
        weightDecay = config.weightDecay
        self.moments = moments ?? Moments(count: parameterCount)
    }

    /// Updates `parameters` (whose storage is written in place) with `gradient`.
    public mutating func step(parameters: [Tensor], gradient: ParameterVector, lr: Float) {
        moments.steps += 1
        let bc1 = 1 - pow(beta1, Float(moments.steps)), bc2 = 1 - pow(beta2, Float(moments.steps))
        var offset = 0
        for p in parameters {
            let w = p.pointer
            for i in 0..<p.count {
                let k = offset + i
                let g = gradient.values[k]
                w[i] *= 1 - lr * weightDecay
                moments.m.values[k] = beta1 * moments.m.values[k] + (1 - beta1) * g
                moments.v.values[k] = beta2 * moments.v.values[k] + (1 - beta2) * g * g
                let mHat = moments.m.values[k] / bc1
                let vHat = moments.v.values[k] / bc2
                w[i] -= lr * mHat / (vHat.squareRoot() + epsilon)
            }
            offset += p.count
        }
    }
}
