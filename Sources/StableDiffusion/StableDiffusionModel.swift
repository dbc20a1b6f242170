import Foundation
import SafeTensors
import TensorEngine
import Tokenizer

/// A Stable Diffusion v1.x model read from a diffusers folder (`unet/`, `text_encoder/`, `vae/`,
/// `tokenizer/`, `scheduler/`) or a single LDM checkpoint (see ``ModelSource``). Every size comes
/// from the configs.
public struct StableDiffusionModel {
    /// Where the model was read from.
    public let source: ModelSource
    public let tokenizer: CLIPTokenizer
    public let textEncoder: CLIPTextModel
    public let unet: UNet
    public let vae: AutoencoderKL
    public let scheduler: SchedulerConfig
    /// Parameter counts by component, for `membrane inspect`.
    public let parameterCounts: [String: Int]
    /// A content hash of the UNet weights the model uses (names, dtypes, shapes, bytes), for
    /// membrane metadata and catalog job hashes; equal for the same weights in either layout.
    public let unetFingerprint: String
    /// The same hash of the text encoder weights, for calibrations made with this encoder.
    public let textEncoderFingerprint: String
    /// Lines worth telling the user about the file (keys ignored, EMA weights unused).
    public let notes: [String]

    /// The model folder, or the single checkpoint file.
    public var directory: URL { source.url }

    /// Loads the diffusers folder or single checkpoint at `url` (by what is on disk).
    public init(directory url: URL, loadVAEEncoder: Bool = false) throws {
        try self.init(source: try ModelSource(url: url), loadVAEEncoder: loadVAEEncoder)
    }

    /// Loads every component; errors name the file and the problem.
    public init(source: ModelSource, loadVAEEncoder: Bool = false) throws {
        try self.init(components: try ModelComponents.open(source), loadVAEEncoder: loadVAEEncoder)
    }

    /// Builds the layers over opened components.
    public init(components c: ModelComponents, loadVAEEncoder: Bool = false) throws {
        source = c.source
        tokenizer = c.tokenizer
        scheduler = c.scheduler
        notes = c.notes
        do {
            textEncoder = try CLIPTextModel(config: c.textConfig, weights: Weights(c.text))
            unet = try UNet(config: c.unetConfig, weights: Weights(c.unet))
            vae = try AutoencoderKL(config: c.vaeConfig, weights: Weights(c.vae), loadEncoder: loadVAEEncoder)
            if c.source.layout == .singleFile { try Self.checkAllUsed(c.text, component: "text encoder") }
        } catch let error as ModelError where c.source.layout == .singleFile {
            let path = c.source.url.path, text = "\(error)"
            let inner = text.hasPrefix(path + ": ") ? String(text.dropFirst(path.count + 2)) : text
            throw ModelError.weights(file: path, problem: "\(inner) (architecture from \(c.architectureOrigin); --original-config FILE or --model-config DIR describe other architectures)")
        }
        parameterCounts = ["unet": c.unet.scalarCount, "text_encoder": c.text.scalarCount, "vae": c.vae.scalarCount]
        unetFingerprint = try tensorFingerprint(of: c.unet, names: c.unet.requestedNames)
        textEncoderFingerprint = try tensorFingerprint(of: c.text, names: c.text.requestedNames, canonical: ModelComponents.textCanonical)
    }

    /// Refuses floating-point tensors the layers never read: the weights have more than the
    /// config describes (more layers, say).
    public static func checkAllUsed(_ source: RawTensorSource, component: String) throws {
        for name in source.tensorNames where !source.requestedNames.contains(name) && !name.hasSuffix("position_ids") {
            if let layout = try? source.layout(of: name), layout.dtype.isFloatingPoint {
                throw ModelError.weights(file: source.fileDescription, problem: "tensor '\(source.storedName(name))' is not used by the \(component) config: the config and the weights disagree")
            }
        }
    }

    /// Throws unless every id the tokenizer can produce has a row in the text encoder's token
    /// embedding and its sequences fit the position embedding (so no id is ever clamped).
    public static func check(tokenizer: CLIPTokenizer, fits config: CLIPTextConfig, file: String) throws {
        if let (token, id) = tokenizer.largestID, Int(id) >= config.vocabSize {
            throw ModelError.invalidConfig(file: file, problem: "'vocab_size' is \(config.vocabSize), but \(tokenizer.directory.appendingPathComponent("vocab.json").path) gives token '\(token)' id \(id) (ids must be below vocab_size)")
        }
        if tokenizer.maxLength > config.maxPositionEmbeddings {
            throw ModelError.invalidConfig(file: file, problem: "'max_position_embeddings' is \(config.maxPositionEmbeddings), but the tokenizer makes sequences of \(tokenizer.maxLength) tokens")
        }
    }

    /// Text embeddings [B, T, D] for prompts.
    public func encode(prompts: [String]) -> Tensor {
        textEncoder(prompts.map { tokenizer.encode($0) })
    }

    /// Latent size for an image size (divisible by the VAE and UNet factors).
    public var vaeScale: Int { vae.config.downscale }
}
