import ArgumentParser
import Foundation
import Logging
import StableDiffusion

/// The options every command that loads a model takes: the model (a diffusers folder or a
/// single LDM `.safetensors` checkpoint) and what describes a single file.
struct ModelOptions: ParsableArguments {
    @Option(help: "diffusers model folder or single-file LDM checkpoint (.safetensors); default: the embedded shapesworld-a.")
    var model: String?
    @Option(help: "Single files: the LDM inference YAML (default: <stem>.yaml beside the checkpoint, if any).")
    var originalConfig: String?
    @Option(help: "Single files: a diffusers folder whose configs and tokenizer describe the checkpoint.")
    var modelConfig: String?
    @Flag(help: "Single files: read the UNet's EMA weights (model_ema.*).")
    var ema = false

    /// The model source the options name.
    func source() throws -> ModelSource {
        try ModelSource(url: try ModelLocation.resolve(model), originalConfig: originalConfig.map { URL(fileURLWithPath: $0) },
                        modelConfig: modelConfig.map { URL(fileURLWithPath: $0) }, useEMA: ema)
    }

    /// Loads the model, logging what the loader noted (keys ignored, EMA weights unused).
    func load(loadVAEEncoder: Bool = false) throws -> StableDiffusionModel {
        let m = try StableDiffusionModel(source: try source(), loadVAEEncoder: loadVAEEncoder)
        let logger = Logger(label: "model")
        for note in m.notes { logger.notice("\(note)") }
        return m
    }
}
