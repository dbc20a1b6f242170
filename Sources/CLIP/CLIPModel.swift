import Foundation
import Images
import StableDiffusion
import TensorEngine
import Tokenizer

/// A transformers `CLIPModel`: the image and text towers with their projections into one
/// embedding space, its tokenizer and its image processor, read from a model folder.
///
/// The folder holds `config.json`, `model.safetensors` (or a sharded index; float32, float16 or
/// bfloat16), `vocab.json` + `merges.txt` (with the optional tokenizer configs) and
/// `preprocessor_config.json`, as `save_pretrained` writes them and as the hub's
/// `openai/clip-vit-base-patch32` or `openai/clip-vit-large-patch14` ship them.
public struct CLIPModel {
    /// The folder the model was read from.
    public let folder: URL
    /// `config.json`.
    public let config: CLIPModelConfig
    /// The tokenizer of `vocab.json` and `merges.txt`.
    public let tokenizer: CLIPTokenizer
    /// The image processor of `preprocessor_config.json`.
    public let imageProcessor: CLIPImageProcessor
    /// `exp(logit_scale)`: CLIP's own factor on cosines (``scores(image:texts:)`` uses 100).
    public let logitScale: Float

    let textModel: CLIPTextModel
    let textProjection: Linear
    let visionTower: CLIPVisionTower

    /// Reads a CLIPModel folder.
    ///
    /// - Throws: an error naming the file and the problem: a missing file; a config that is not a
    ///   CLIPModel config or has values out of range; a missing tensor, one of the wrong shape or
    ///   one the config does not use; a tokenizer whose ids or sequences the text tower cannot
    ///   take or whose end token is not the config's `eos_token_id`; bad preprocessor values or
    ///   a crop that does not give the image tower's input size.
    public static func load(folder: URL) throws -> CLIPModel {
        let configURL = folder.appendingPathComponent("config.json")
        let config = try CLIPModelConfig.load(configURL)
        let tokenizer = try CLIPTokenizer(directory: folder)
        try StableDiffusionModel.check(tokenizer: tokenizer, fits: config.text, file: configURL.path)
        if config.eosTokenID != CLIPTextPooling.legacyEOSTokenID && Int(tokenizer.eosID) != config.eosTokenID {
            throw ModelError.invalidConfig(file: configURL.path, problem: "text_config.eos_token_id is \(config.eosTokenID), but the tokenizer's end token '\(tokenizer.eosToken)' has id \(tokenizer.eosID)")
        }
        let processorURL = folder.appendingPathComponent("preprocessor_config.json")
        let processor = try CLIPImageProcessor.load(processorURL)
        try check(processor, fits: config.vision, file: processorURL.path)

        let source = try CheckpointSource(directory: folder, weightsName: "model")
        let root = Weights(source)
        let textModel = try CLIPTextModel(config: config.text, weights: root["text_model"])
        let textProjection = try Linear(root["text_projection"], in: config.text.hiddenSize, out: config.projectionDim, bias: false)
        let vision = try CLIPVisionTower(config: config.vision, weights: root, projectionDim: config.projectionDim)
        let logScale = try logitScale(source, default: config.logitScaleInitValue)
        try StableDiffusionModel.checkAllUsed(source, component: "CLIP")
        return CLIPModel(folder: folder, config: config, tokenizer: tokenizer, imageProcessor: processor,
                         logitScale: Float(exp(Double(logScale))), textModel: textModel,
                         textProjection: textProjection, visionTower: vision)
    }

    /// The stored `logit_scale` (a scalar), or the config's initial value when absent, as
    /// transformers initialises a parameter the checkpoint lacks.
    private static func logitScale(_ source: CheckpointSource, default initial: Float) throws -> Float {
        guard let shape = source.shape(of: "logit_scale") else { return initial }
        guard shape.reduce(1, *) == 1, shape.count <= 1 else {
            throw ModelError.wrongShape(file: source.fileDescription, name: "logit_scale", expected: [], found: shape)
        }
        let value = try source.floats("logit_scale")[0]
        guard value.isFinite, abs(value) <= 100 else {
            throw ModelError.weights(file: source.fileDescription, problem: "tensor 'logit_scale' is \(value), not a usable log scale")
        }
        return value
    }

    /// Throws unless every image the processor accepts becomes the tower's square input size,
    /// where the file decides it (a crop, or a resize to an exact size).
    static func check(_ p: CLIPImageProcessor, fits vision: CLIPVisionConfig, file: String) throws {
        let s = vision.imageSize
        if p.doCenterCrop {
            guard p.cropHeight == s && p.cropWidth == s else {
                throw ModelError.invalidConfig(file: file, problem: "crop_size is \(p.cropHeight)x\(p.cropWidth), the image tower (vision_config.image_size) takes \(s)x\(s)")
            }
        } else if p.doResize, case .exact(let h, let w) = p.size, h != s || w != s {
            throw ModelError.invalidConfig(file: file, problem: "size is \(h)x\(w) and do_center_crop is false, the image tower (vision_config.image_size) takes \(s)x\(s)")
        }
    }
}
