import TensorEngine

/// A sampler's inference schedule and update rule, as diffusers' schedulers. The pipeline runs
/// every scheduler the same way: ``setTimesteps(_:)``, the initial noise times
/// ``initNoiseSigma``, then for each step `i` the UNet on ``scaleModelInput(_:step:)`` at
/// ``modelTimesteps``[i], and ``step(_:step:sample:rng:)`` with its (guided) prediction.
public protocol Scheduler: Sendable {
    /// A scheduler over the noise schedule of `config`, with no timesteps yet.
    init(config: SchedulerConfig)
    /// Chooses `steps` inference timesteps with the config's spacing.
    mutating func setTimesteps(_ steps: Int)
    /// The timesteps of the current schedule as the UNet takes them, noisiest first.
    var modelTimesteps: [Float] { get }
    /// The scale of the initial noise (drawn with unit variance).
    var initNoiseSigma: Double { get }
    /// The UNet input at step `i` for `sample`.
    func scaleModelInput(_ sample: Tensor, step i: Int) -> Tensor
    /// The sample after step `i` given the model output at step `i`; a stochastic sampler
    /// draws its noise from `rng`.
    mutating func step(_ modelOutput: Tensor, step i: Int, sample: Tensor, rng: inout RandomSource) -> Tensor
}
