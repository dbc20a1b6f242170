import Foundation
import TensorEngine

/// The Euler ancestral sampler as diffusers' `EulerAncestralDiscreteScheduler`: Karras-style
/// sigmas interpolated at the chosen timesteps, an Euler step to `sigma_down`, plus fresh noise
/// of size `sigma_up`.
public struct EulerAncestralScheduler: Scheduler {
    public let config: SchedulerConfig
    /// The timesteps of the current schedule, noisiest first.
    public private(set) var timesteps: [Double] = []
    /// Sigma at each timestep, with a final 0.
    public private(set) var sigmas: [Double] = []
    let trainSigmas: [Double]

    public init(config: SchedulerConfig) {
        self.config = config
        trainSigmas = config.alphasCumprod.map { ((1 - $0) / $0).squareRoot() }
    }

    /// Chooses `steps` timesteps with the config's spacing and interpolates their sigmas.
    public mutating func setTimesteps(_ steps: Int) {
        timesteps = config.timestepSpacing.timesteps(steps: steps, trainSteps: config.numTrainTimesteps, offset: config.stepsOffset)
        sigmas = timesteps.map(interpolatedSigma) + [0]
    }

    private func interpolatedSigma(_ t: Double) -> Double {
        let lo = max(0, min(Int(t.rounded(.down)), trainSigmas.count - 1)), hi = min(lo + 1, trainSigmas.count - 1)
        let f = t - Double(lo)
        return trainSigmas[lo] * (1 - f) + trainSigmas[hi] * f
    }

    /// ``timesteps`` as the UNet takes them.
    public var modelTimesteps: [Float] { timesteps.map { Float($0) } }

    /// Scale of the initial noise: the largest sigma (with leading spacing, sqrt(sigma^2 + 1)).
    public var initNoiseSigma: Double {
        let m = sigmas.max() ?? 1
        return config.timestepSpacing == .leading ? (m * m + 1).squareRoot() : m
    }

    /// The UNet input at step `i`: `sample / sqrt(sigma^2 + 1)`.
    public func scaleModelInput(_ sample: Tensor, step i: Int) -> Tensor {
        sample * Float(1 / (sigmas[i] * sigmas[i] + 1).squareRoot())
    }

    /// One ancestral step from `sample` at step `i`, drawing its noise from `rng`.
    public func step(_ modelOutput: Tensor, step i: Int, sample: Tensor, rng: inout RandomSource) -> Tensor {
        let sigma = sigmas[i], next = sigmas[i + 1]
        let up = next == 0 ? 0 : (next * next * (sigma * sigma - next * next) / (sigma * sigma)).squareRoot()
        let down = (next * next - up * up).squareRoot()
        let out = Tensor(uninitialized: sample.shape)
        let x = sample.pointer, m = modelOutput.pointer, o = out.pointer
        let scale = (sigma * sigma + 1).squareRoot()
        for k in 0..<sample.count {
            let xi = Double(x[k]), mi = Double(m[k])
            let x0 = config.predictionType == .vPrediction ? mi * (-sigma / scale) + xi / (sigma * sigma + 1) : xi - sigma * mi
            let derivative = (xi - x0) / sigma
            o[k] = Float(xi + derivative * (down - sigma) + Double(rng.normal()) * up)
        }
        return out
    }
}
