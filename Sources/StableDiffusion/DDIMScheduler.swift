import Foundation
import TensorEngine

/// The DDIM sampler (eta 0) exactly as diffusers' `DDIMScheduler`, plus `add_noise` for training.
public struct DDIMScheduler: Scheduler {
    public let config: SchedulerConfig
    /// Cumulative alpha products of the training schedule.
    public let alphasCumprod: [Double]
    /// The timesteps of the current inference schedule, noisiest first.
    public private(set) var timesteps: [Int] = []
    private var stepRatio = 0

    public init(config: SchedulerConfig) {
        self.config = config
        alphasCumprod = config.alphasCumprod
    }

    /// Chooses `steps` inference timesteps with the config's spacing ("leading" for SD v1.x),
    /// linspace ones rounded to whole timesteps.
    public mutating func setTimesteps(_ steps: Int) {
        let n = config.numTrainTimesteps
        precondition(steps > 0 && steps <= n, "\(steps) steps for \(n) training timesteps")
        stepRatio = n / steps
        timesteps = config.timestepSpacing.timesteps(steps: steps, trainSteps: n, offset: config.stepsOffset)
            .map { Int($0.rounded(.toNearestOrEven)) }
    }

    /// ``timesteps`` as the UNet takes them.
    public var modelTimesteps: [Float] { timesteps.map { Float($0) } }

    /// 1: DDIM starts from unit-variance noise.
    public var initNoiseSigma: Double { 1 }

    /// `sample` itself: DDIM gives the UNet the sample unscaled.
    public func scaleModelInput(_ sample: Tensor, step i: Int) -> Tensor { sample }

    /// ``step(_:timestep:sample:)`` at the `i`-th timestep (DDIM with eta 0 draws no noise).
    public func step(_ modelOutput: Tensor, step i: Int, sample: Tensor, rng: inout RandomSource) -> Tensor {
        step(modelOutput, timestep: timesteps[i], sample: sample)
    }

    /// ᾱ at `t`, or the final value for negative `t` (1 with set_alpha_to_one, else ᾱ_0).
    public func alphaBar(_ t: Int) -> Double {
        t >= 0 ? alphasCumprod[min(t, alphasCumprod.count - 1)] : (config.setAlphaToOne ? 1 : alphasCumprod[0])
    }

    /// One deterministic DDIM step from `sample` at `t` given the model output.
    public func step(_ modelOutput: Tensor, timestep t: Int, sample: Tensor) -> Tensor {
        let prev = t - stepRatio
        let a = alphaBar(t), aPrev = alphaBar(prev)
        let sa = a.squareRoot(), sb = (1 - a).squareRoot()
        let n = sample.count
        let out = Tensor(uninitialized: sample.shape)
        let x = sample.pointer, m = modelOutput.pointer, o = out.pointer
        let clip = config.clipSample, range = config.clipSampleRange
        for i in 0..<n {
            let xi = Double(x[i]), mi = Double(m[i])
            var x0: Double, eps: Double
            switch config.predictionType {
            case .vPrediction: x0 = sa * xi - sb * mi; eps = sa * mi + sb * xi
            default: x0 = (xi - sb * mi) / sa; eps = mi
            }
            if clip { x0 = min(max(x0, -range), range); eps = (xi - sa * x0) / sb }
            o[i] = Float(aPrev.squareRoot() * x0 + (1 - aPrev).squareRoot() * eps)
        }
        return out
    }

    /// `sqrt(ᾱ_t) x0 + sqrt(1 - ᾱ_t) noise` (diffusers' `add_noise`).
    public func addNoise(_ original: Tensor, noise: Tensor, timestep t: Int) -> Tensor {
        let a = alphaBar(t)
        let out = Tensor(uninitialized: original.shape)
        let (s1, s2) = (Float(a.squareRoot()), Float((1 - a).squareRoot()))
        for i in 0..<original.count { out.pointer[i] = s1 * original.pointer[i] + s2 * noise.pointer[i] }
        return out
    }
}
