import Foundation
import Membranes
import StableDiffusion
import TensorEngine

/// The SD v1.5-scale rows, each selectable on its own (`--only sd15-forward` and so on) so that
/// a process per row reports that row's own peak RSS: bench/compare_pytorch.py runs them so.
enum SD15Row: String, CaseIterable {
    case forward = "sd15-forward"
    case forwardBackward = "sd15-forward-backward"
    case spm = "sd15-spm"

    /// The row's name in the tables (bench/benchrows.py keys the combined table by it).
    var title: String {
        switch self {
        case .forward: return "SD v1.5 UNet forward 64x64, batch 1"
        case .forwardBackward: return "SD v1.5 UNet forward + backward 64x64, batch 1"
        case .spm: return "SD v1.5 SPM iteration 256px"
        }
    }

    /// Builds the model, times the row and returns it with the process's peak RSS in its note.
    func run(runs: Int, size: SD15Size = .current) throws -> Row {
        switch self {
        case .forward: return try sd15ForwardRow(runs: runs, size: size)
        case .forwardBackward: return try sd15ForwardBackwardRow(runs: runs, size: size)
        case .spm: return try sd15SPMRow(runs: runs, size: size)
        }
    }
}

/// "peak RSS X GB" as bench/compare_pytorch.py parses it, then the most bytes of tensors that
/// were alive at once (the rest of the peak is idle pooled buffers, the C heap and the binary).
func peakRSSNote() -> String {
    String(format: "peak RSS %.2f GB (tensors at most %.2f GB)", Double(peakRSSBytes()) / 1e9,
           Double(BufferPool.shared.peakLiveBytes) / 1e9)
}

/// The SD v1.5 UNet (random weights) forward at a 64x64 latent, batch 1.
func sd15ForwardRow(runs: Int, size: SD15Size) throws -> Row {
    let start = Date()
    let unet = try size.buildUNet(seed: 2)
    let built = Date().timeIntervalSince(start)
    var rng = RandomSource(seed: 1)
    let x = Tensor.randn([1, 4, 64, 64], using: &rng)
    let ctx = Tensor.randn([1, 77, unet.config.crossAttentionDim.value(at: 0)], using: &rng)
    let t = medianSeconds(runs: max(1, runs / 2)) { _ = unet(x, timesteps: [500], context: ctx) }
    return Row(name: SD15Row.forward.title, seconds: t, flops: nil,
               note: String(format: "%@; weights built in %.0f s%@", peakRSSNote(), built, size.noteSuffix))
}

/// The same UNet, frozen, with a rank-1 membrane on every adapter site receiving gradients:
/// loss = mean of the output squared, backward (``MembraneGradientPass``).
func sd15ForwardBackwardRow(runs: Int, size: SD15Size) throws -> Row {
    let unet = try size.buildUNet(seed: 2)
    var rng = RandomSource(seed: 1)
    let x = Tensor.randn([1, 4, 64, 64], using: &rng)
    let ctx = Tensor.randn([1, 77, unet.config.crossAttentionDim.value(at: 0)], using: &rng)
    let membrane = Membrane(sites: unet.adapterSites, targets: ["benchmark"], rank: 1, seed: 7)
    let t = medianSeconds(runs: max(1, runs / 2)) {
        _ = MembraneGradientPass.run(unet: unet, membrane: membrane.trainable(), latents: x, timesteps: [500], context: ctx)
    }
    return Row(name: SD15Row.forwardBackward.title, seconds: t, flops: nil,
               note: String(format: "%@; membrane on %d layers, %d parameters%@", peakRSSNote(), membrane.layers.count,
                            membrane.parameterCount, size.noteSuffix))
}

/// One SPM training iteration of configs/shapesworld/red.yaml at resolution 256 (32x32 latent)
/// on an SD v1.5-size model with random weights (text encoder, UNet; the VAE is never run), at
/// an iteration whose trajectory length t_to is 15.
func sd15SPMRow(runs: Int, size: SD15Size, trajectoryLength: Int = 15) throws -> Row {
    let model = try size.buildModel(seed: 11)
    var config = try TrainingConfig.load(root.appendingPathComponent("configs/shapesworld/red.yaml"))
    config.resolution = 256
    let fresh = try MembraneTrainer(model: model, config: config)
    guard let iteration = (0..<10_000).first(where: { fresh.objective.trajectoryLength(iteration: $0) == trajectoryLength }) else {
        throw BenchError("no iteration of seed \(config.seed) draws t_to \(trajectoryLength)")
    }
    var checkpoint = fresh.checkpoint()
    checkpoint.iteration = iteration
    let trainer = try MembraneTrainer(model: model, config: config, resume: checkpoint)
    var failure: Error?
    let t = medianSeconds(runs: max(1, runs / 2)) {
        var copy = trainer
        do { try copy.trainIteration() } catch { failure = error }
    }
    if let failure { throw failure }
    return Row(name: SD15Row.spm.title, seconds: t, flops: nil,
               note: String(format: "%@; red.yaml at 256 px, t_to %d (iteration %d), %d membrane parameters%@",
                            peakRSSNote(), trajectoryLength, iteration, trainer.gradientLength, size.noteSuffix))
}
