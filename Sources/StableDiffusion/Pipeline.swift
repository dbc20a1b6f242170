import Foundation
import TensorEngine

/// Builds the layer adapter (membranes) for one UNet batch, given the prompt of every row.
public typealias AdapterProvider = (_ rowPrompts: [String]) -> LayerAdapter?

extension StableDiffusionModel {
    /// Initial latent noise of image `index` (within its prompt) for `seed`: image `j` of every
    /// prompt starts from the noise of seed `seed + j`, so a seed names the same starting point
    /// whatever else is in the batch.
    public func initialNoise(seed: UInt64, index: Int, latentShape: [Int]) -> Tensor {
        var rng = RandomSource(seed: seed &+ UInt64(index))
        return Tensor.randn(latentShape, using: &rng)
    }

    /// Latent [C, h, w] shape for a request, validated against the model's size factors.
    public func latentShape(width: Int?, height: Int?) throws -> [Int] {
        let f = vaeScale
        let defaultSide = (unet.config.sampleSize ?? 64) * f
        let w = width ?? defaultSide, h = height ?? defaultSide
        let multiple = f * unet.sizeMultiple
        guard w > 0, h > 0, w % multiple == 0, h % multiple == 0 else {
            throw ModelError.invalidConfig(file: directory.path, problem: "image size \(w)x\(h) must be a positive multiple of \(multiple) for this model")
        }
        return [unet.config.inChannels, h / f, w / f]
    }

    /// Samples latents with the request's sampler and classifier-free guidance. Returns images
    /// [3, H, W] in [-1, 1], prompt-major (all images of prompt 0 first). `progress` gets
    /// (step, total).
    public func generate(_ request: GenerationRequest, adapter: AdapterProvider? = nil,
                         progress: ((Int, Int) -> Void)? = nil) throws -> [Tensor] {
        let shape = try latentShape(width: request.width, height: request.height)
        var jobs: [(prompt: String, index: Int)] = []
        for p in request.prompts { for j in 0..<request.imagesPerPrompt { jobs.append((p, j)) } }
        var images: [Tensor] = []
        let batches = stride(from: 0, to: jobs.count, by: max(1, request.batchSize)).map { Array(jobs[$0..<min($0 + max(1, request.batchSize), jobs.count)]) }
        let total = request.totalSteps
        var done = 0
        for batch in batches {
            let noise = batch.map { initialNoise(seed: request.seed, index: $0.index, latentShape: shape) }
            let latents = try withoutGradient {
                try sample(prompts: batch.map(\.prompt), noise: noise, request: request, adapter: adapter) { _ in
                    done += 1
                    progress?(done, total)
                }
            }
            let decoded = withoutGradient { vae.decode(latents * (1 / vae.config.scalingFactor)) }
            for i in 0..<batch.count { images.append(decoded.slice(axis: 0, range: i..<(i + 1)).reshaped(Array(decoded.shape.dropFirst()))) }
        }
        return images
    }

    /// Runs the request's sampler from `noise` (one [C, h, w] tensor per prompt): one loop for
    /// every ``Scheduler``. Returns latents [B, C, h, w].
    public func sample(prompts: [String], noise: [Tensor], request: GenerationRequest, adapter: AdapterProvider?,
                       onStep: (Int) -> Void = { _ in }) throws -> Tensor {
        let b = prompts.count
        let guided = request.guidance != 1
        let rowPrompts = guided ? Array(repeating: request.negative, count: b) + prompts : prompts
        let context = encode(prompts: rowPrompts)
        let rowAdapter = adapter?(rowPrompts)
        var x = Tensor.concat(noise.map { $0.reshaped([1] + $0.shape) }, axis: 0)
        var scheduler = request.sampler.schedulerType.init(config: self.scheduler)
        scheduler.setTimesteps(request.steps)
        // Noise drawn during sampling (ancestral samplers) comes from its own stream of the seed.
        var rng = RandomSource(seed: request.seed ^ 0x5EED_A5CE_57A1)
        let sigma = scheduler.initNoiseSigma
        if sigma != 1 { x = x * Float(sigma) }
        for (i, t) in scheduler.modelTimesteps.enumerated() {
            let input = scheduler.scaleModelInput(x, step: i)
            let output = unet.guidedPrediction(input, timestep: t, context: context, guidance: request.guidance, adapter: rowAdapter)
            x = scheduler.step(output, step: i, sample: x, rng: &rng)
            onStep(i)
        }
        return x
    }
}
