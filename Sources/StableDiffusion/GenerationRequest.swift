/// What to generate: prompts, guidance and sampling settings.
public struct GenerationRequest: Sendable {
    public var prompts: [String]
    public var negative: String = ""
    public var steps: Int = 30
    public var guidance: Float = 7.5
    public var seed: UInt64 = 0
    public var imagesPerPrompt: Int = 1
    /// Image size in pixels; nil uses the UNet's `sample_size` times the VAE factor.
    public var width: Int?
    public var height: Int?
    /// Images denoised together in one UNet batch (twice as many rows with guidance).
    public var batchSize: Int = 8

    /// Denoising steps of the whole request: `steps` per batch of at most `batchSize` pictures.
    public var totalSteps: Int {
        let pictures = prompts.count * imagesPerPrompt, batch = max(1, batchSize)
        return (pictures + batch - 1) / batch * steps
    }
    /// The sampler.
    public var sampler: Sampler = .ddim

    /// Samplers `generate` offers.
    public enum Sampler: String, Sendable, CaseIterable {
        case ddim, eulerAncestral = "euler-a"

        /// The scheduler the sampler runs.
        public var schedulerType: any Scheduler.Type {
            switch self {
            case .ddim: return DDIMScheduler.self
            case .eulerAncestral: return EulerAncestralScheduler.self
            }
        }
    }

    public init(prompts: [String]) { self.prompts = prompts }
}
