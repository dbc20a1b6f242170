import ArgumentParser
import Foundation
import Logging
import Membranes
import Reporting
import StableDiffusion

/// `membrane train`: trains one membrane in this process.
struct Train: ParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Train one membrane (erase a concept) from a YAML config.")

    @Option(help: "Training config (YAML).")
    var config: String
    @OptionGroup var modelOptions: ModelOptions
    @Option(help: "Concept to erase (overrides the config's target).")
    var target: String?
    @Option(help: "Iterations (overrides the config).")
    var iterations: Int?
    @Option(help: "Seed (overrides the config).")
    var seed: UInt64?
    @Option(help: "Output membrane file (.safetensors).")
    var out: String
    @OptionGroup var logging: LoggingOptions

    func run() throws {
        logging.bootstrap()
        let logger = Logger(label: "train")
        let configURL = URL(fileURLWithPath: config)
        var values = try loadYAMLMapping(configURL)
        if let target { values["target"] = target }
        if let iterations { values["iterations"] = iterations }
        if let seed {
            guard let exact = Int(exactly: seed) else { throw ConfigLimits.limit("seed").refusal(found: seed, file: "--seed") }
            values["seed"] = exact
        }
        let settings = try TrainingConfig(values: values, source: configURL.path)
        let modelSource = try modelOptions.source()
        logger.debug("loading model", metadata: ["model": .string(modelSource.url.path)])
        let m = try modelOptions.load()
        try settings.check(model: m, source: configURL.path)
        var trainer = try MembraneTrainer(model: m, config: settings)
        logger.info("training", metadata: ["target": .string(settings.target), "iterations": "\(settings.iterations)",
                                           "seed": "\(settings.seed)", "config": .string(configURL.path)])
        if !trainer.objective.anchorPromptTexts.isEmpty {
            logger.info("anchor prompts", metadata: ["prompts": .string(trainer.objective.anchorPromptTexts.joined(separator: ", "))])
        }
        if let summary = trainer.objective.textDirectionSummary {
            logger.info("text directions", metadata: summary.mapValues { .string($0) })
        }
        let start = Date()
        var last = LossParts()
        var progress = ProgressReporter(label: "train", total: settings.iterations)
        while trainer.iteration < settings.iterations {
            last = try trainer.trainIteration()
            progress.update(done: trainer.iteration,
                            values: ["erase": Double(last.erase), "anchor": Double(last.anchoring)])
        }
        progress.finish()
        let seconds = Date().timeIntervalSince(start)
        // Timings stay out of the file (same inputs, same bytes); the log reports them.
        let info = MembraneMetadata.describe(config: settings, model: m, iterations: trainer.iteration, loss: last)
        try trainer.result(info: info).write(to: URL(fileURLWithPath: out))
        logger.info("trained", metadata: ["iterations": "\(trainer.iteration)", "seconds": .string(String(format: "%.1f", seconds)),
                                          "erase": "\(last.erase)", "anchor": "\(last.anchoring)", "out": .string(out)])
        print("wrote \(out)")
    }
}
