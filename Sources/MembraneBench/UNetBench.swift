import Foundation
import StableDiffusion
import TensorEngine

/// The SD v1.5 UNet config (as in runwayml/stable-diffusion-v1-5's unet/config.json).
let sd15UNetConfig = """
{"_class_name": "UNet2DConditionModel", "act_fn": "silu", "attention_head_dim": 8,
 "block_out_channels": [320, 640, 1280, 1280], "center_input_sample": false, "cross_attention_dim": 768,
 "down_block_types": ["CrossAttnDownBlock2D", "CrossAttnDownBlock2D", "CrossAttnDownBlock2D", "DownBlock2D"],
 "downsample_padding": 1, "flip_sin_to_cos": true, "freq_shift": 0, "in_channels": 4, "layers_per_block": 2,
 "mid_block_scale_factor": 1, "norm_eps": 1e-05, "norm_num_groups": 32, "out_channels": 4, "sample_size": 64,
 "up_block_types": ["UpBlock2D", "CrossAttnUpBlock2D", "CrossAttnUpBlock2D", "CrossAttnUpBlock2D"]}
"""

/// UNet forward benchmarks: the full SD v1.5 architecture with random weights at a 64x64 latent,
/// and the embedded shapesworld-a UNet at batch 1 and 8 (the trainer's passes: TrainingBench).
func unetBenchmarks(runs: Int, modelDirectory: URL, includeSD15: Bool = true) throws {
    var rows: [Row] = []
    let small = try StableDiffusionModel(directory: modelDirectory)
    var rng = RandomSource(seed: 1)
    for batch in [1, 8] where rowFilter.map({ "forward, batch \(batch)".contains($0) }) ?? true {
        let x = Tensor.randn([batch, 4, 16, 16], using: &rng)
        let ctx = small.encode(prompts: Array(repeating: "a red circle", count: batch))
        let t = medianSeconds(runs: runs * 4) { _ = small.unet(x, timesteps: Array(repeating: 500, count: batch), context: ctx) }
        rows.append(Row(name: "shapesworld-a UNet forward, batch \(batch)", seconds: t, flops: nil,
                        note: "PyTorch on this machine: make bench-compare"))
    }
    if !includeSD15 { printTable("UNet forward (medians)", rows, reference: nil); return }

    let config = try JSONDecoder().decode(UNetConfig.self, from: Data(sd15UNetConfig.utf8))
    let buildTime = Date()
    let unet = try UNet(config: config, weights: Weights(SyntheticSource(seed: 2)))
    let built = Date().timeIntervalSince(buildTime)
    let x = Tensor.randn([1, 4, 64, 64], using: &rng)
    let ctx = Tensor.randn([1, 77, 768], using: &rng)
    let t = medianSeconds(runs: max(1, runs / 2), warmup: 1) { _ = unet(x, timesteps: [500], context: ctx) }
    let rss = Double(peakRSSBytes()) / 1e9
    rows.append(Row(name: "SD v1.5 UNet forward 64x64, batch 1", seconds: t, flops: nil,
                    note: String(format: "peak RSS %.2f GB (target <= 6); weights built in %.0f s; PyTorch: make bench-compare", rss, built)))
    printTable("UNet forward (medians)", rows, reference: nil)
}
