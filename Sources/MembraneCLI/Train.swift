import ArgumentParser
import Foundation
import Membranes
import StableDiffusion

/// `membrane train`: trains one membrane in this process.
struct Train: ParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Train one membrane (erase a concept) from a YAML config.")

    @Option(help: "Training config (YAML).")
    var config: String
    @Option(help: "diffusers model folder; default: the embedded shapesworld-a.")
    var model: String?
    @Option(help: "Concept to erase (overrides the config's target).")
    var target: String?
    @Option(help: "Iterations (overrides the config).")
    var iterations: Int?
    @Option(help: "Seed (overrides the config).")
    var seed: UInt64?
    @Option(help: "Output membrane file (.safetensors).")
    var out: String

    func run() throws {
        let configURL = URL(fileURLWithPath: config)
        var values = try loadYAMLMapping(configURL)
        if let target { values["target"] = target }
        if let iterations { values["iterations"] = iterations }
        if let seed { values["seed"] = Int(seed) }
        let settings = try TrainingConfig(values: values, source: configURL.path)
        let modelURL = try ModelLocation.resolve(model)
        let m = try StableDiffusionModel(directory: modelURL)
        var trainer = try MembraneTrainer(model: m, config: settings)
        let start = Date()
        var last = LossParts()
        while trainer.iteration < settings.iterations {
            last = trainer.trainIteration()
            let done = trainer.iteration
            let elapsed = Date().timeIntervalSince(start)
            let rate = Double(done) / max(elapsed, 1e-9)
            let eta = Double(settings.iterations - done) / max(rate, 1e-9)
            printError(String(format: "iter %d/%d  erase %.5f  anchor %.6f  %.2f it/s  ETA %.0fs",
                              done, settings.iterations, last.erase, last.anchoring, rate, eta))
        }
        let info = MembraneMetadata.describe(config: settings, model: m, iterations: trainer.iteration,
                                             seconds: Date().timeIntervalSince(start), loss: last)
        try trainer.result(info: info).write(to: URL(fileURLWithPath: out))
        print("wrote \(out)")
    }
}
