import Foundation
import Membranes
import StableDiffusion
import TensorEngine

/// Single-process training speed with configs/shapesworld/red.yaml (the reference's algorithm and
/// cost: 30-step trajectories with CFG, 4 anchors, batch 1): seconds per iteration over a fixed
/// run of iterations (each draws its own trajectory length, so the run, not one iteration, is the
/// unit), that run moved to the expected trajectory length, and the passes an iteration is made of.
func trainingBenchmarks(runs: Int, modelDirectory: URL, iterations: Int = 30) throws {
    let model = try StableDiffusionModel(directory: modelDirectory)
    let config = try TrainingConfig.load(root.appendingPathComponent("configs/shapesworld/red.yaml"))
    var rows: [Row] = []
    /// `--rows TEXT` runs only the rows whose name contains TEXT.
    func wanted(_ name: String) -> Bool { rowFilter.map { name.contains($0) } ?? true }

    // The run's trajectories against the expected mean length (t_to uniform in 1..<steps).
    let lengths = try MembraneTrainer(model: model, config: config)
    let meanLength = Double((0..<iterations).map { lengths.objective.trajectoryLength(iteration: $0) }.reduce(0, +)) / Double(iterations)
    let expectedLength = Double(config.maxDenoisingSteps) / 2
    var perIteration: Double?
    if wanted("training iteration") {
        let seconds = medianSeconds(runs: max(1, runs / 2), warmup: 0) {
            var trainer = try! MembraneTrainer(model: model, config: config)
            for _ in 0..<iterations { _ = try! trainer.trainIteration() }
        } / Double(iterations)
        perIteration = seconds
        rows.append(Row(name: "training iteration, red.yaml", seconds: seconds, flops: nil,
                        note: String(format: "mean of %d iterations, mean t_to %.1f; the issue's reference: 1.06 s (ratio %.2f)",
                                     iterations, meanLength, 1.06 / seconds)))
    }

    // The passes, at the shapes red.yaml gives them.
    let trainer = try MembraneTrainer(model: model, config: config)
    var rng = RandomSource(seed: 3)
    let z = Tensor.randn([1, 4, 16, 16], using: &rng)
    let ctx2 = model.encode(prompts: ["", "red"])
    let merged = MergedMembranes(membranes: [trainer.membrane], multiplier: 1)
    if wanted("trajectory step") || perIteration != nil {
        let step = medianSeconds(runs: runs * 4) {
            _ = withoutGradient { model.unet(Tensor.concat([z, z], axis: 0), timesteps: [500, 500], context: ctx2, adapter: merged) }
        }
        rows.append(Row(name: "  trajectory step (batch 2, merged)", seconds: step, flops: nil,
                        note: String(format: "x %.1f mean steps per iteration = %.0f ms", expectedLength, step * expectedLength * 1000)))
        if let perIteration {
            let projected = perIteration + (expectedLength - meanLength) * step
            rows.append(Row(name: "training iteration at mean t_to \(Int(expectedLength))", seconds: projected, flops: nil,
                            note: String(format: "the run above with its trajectories moved to the expected length (ratio %.2f)", 1.06 / projected)))
        }
    }
    let ctx6 = model.encode(prompts: Array(repeating: "red", count: 6))
    let z6 = Tensor.concat(Array(repeating: z, count: 6), axis: 0)
    if wanted("original model") {
        let original = medianSeconds(runs: runs * 2) {
            _ = withoutGradient { model.unet(z6, timesteps: Array(repeating: 500, count: 6), context: ctx6) }
        }
        rows.append(Row(name: "  original model (batch 6, no gradient)", seconds: original, flops: nil, note: "positive, neutral, 4 anchors"))
    }
    // As the trainer runs it: two blocks of rows (target + 1 anchor, 3 anchors), each with its
    // own copy of the membrane, graph and backward pass on its own core.
    let z5 = z6.slice(axis: 0, range: 0..<5), ctx5 = ctx6.slice(axis: 0, range: 0..<5)
    let target = Tensor.randn([5, 4, 16, 16], using: &rng)
    let blocks = [0..<2, 2..<5]
    if !wanted("membrane pass") { return printTable("Training, single process (medians)", rows, reference: nil) }
    let gradientPass = medianSeconds(runs: runs * 2) {
        onCores(blocks.count) { b in
            let rows = blocks[b], copy = trainer.membrane.trainable()
            let adapter = MembraneAdapter(membranes: [copy], multiplier: 1, rows: rows.count)
            model.unet(z5.slice(axis: 0, range: rows), timesteps: Array(repeating: 500, count: rows.count),
                       context: ctx5.slice(axis: 0, range: rows), adapter: adapter)
                .mse(target.slice(axis: 0, range: rows)).backward()
        }
    }
    rows.append(Row(name: "  membrane pass (batch 5, fwd+bwd)", seconds: gradientPass, flops: nil,
                    note: "target + 4 anchors in two row blocks, gradient to the membrane"))
    printTable("Training, single process (medians)", rows, reference: nil)
}
