import TensorEngine

/// AdamW (decoupled weight decay, as torch.optim.AdamW) over a list of tensors updated in place.
public struct AdamW {
    public var beta1: Float
    public var beta2: Float
    public var epsilon: Float
    public var weightDecay: Float
    /// Steps taken.
    public var steps: Int = 0
    /// First and second moments, one flat array per parameter.
    public var m: [[Float]]
    public var v: [[Float]]

    public init(parameterCounts: [Int], config: TrainingConfig) {
        beta1 = config.adamBeta1
        beta2 = config.adamBeta2
        epsilon = config.adamEpsilon
        weightDecay = config.weightDecay
        m = parameterCounts.map { [Float](repeating: 0, count: $0) }
        v = m
    }

    /// Updates `parameters` (whose storage is written in place) with the flat `gradient`.
    public mutating func step(parameters: [Tensor], gradient: [Float], lr: Float) {
        steps += 1
        let bc1 = 1 - pow(beta1, Float(steps)), bc2 = 1 - pow(beta2, Float(steps))
        var offset = 0
        for (k, p) in parameters.enumerated() {
            let w = p.pointer
            for i in 0..<p.count {
                let g = gradient[offset + i]
                w[i] *= 1 - lr * weightDecay
                m[k][i] = beta1 * m[k][i] + (1 - beta1) * g
                v[k][i] = beta2 * v[k][i] + (1 - beta2) * g * g
                let mHat = m[k][i] / bc1
                let vHat = v[k][i] / bc2
                w[i] -= lr * mHat / (vHat.squareRoot() + epsilon)
            }
            offset += p.count
        }
    }
}

#if canImport(Glibc)
import Glibc
#endif
