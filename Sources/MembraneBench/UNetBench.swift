import Foundation
import StableDiffusion
import TensorEngine

/// UNet benchmarks: the embedded shapesworld-a UNet forward at batch 1 and 8 (the trainer's
/// passes: TrainingBench), then the SD v1.5 UNet (random weights) at a 64x64 latent: forward,
/// and forward + backward to a rank-1 membrane (SD15Bench.swift).
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
    if includeSD15 {
        for row in [SD15Row.forward, .forwardBackward] { rows.append(try row.run(runs: runs)) }
    }
    printTable("UNet forward (medians)", rows, reference: nil)
}
