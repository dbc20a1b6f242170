import Foundation
import SafeTensors
import TensorEngine
import Tokenizer

/// A ``TensorSource`` over a safetensors checkpoint (one file or shards with an index).
public final class CheckpointSource: TensorSource {
    let checkpoint: SafeTensorsCheckpoint
    public let fileDescription: String

    /// Opens `<directory>/<name>.safetensors` or its sharded `.index.json`.
    public init(directory: URL, weightsName: String) throws {
        checkpoint = try SafeTensorsCheckpoint(directory: directory, weightsName: weightsName)
        fileDescription = directory.appendingPathComponent(weightsName + ".safetensors").path
    }

    public func shape(of name: String) -> [Int]? {
        checkpoint.contains(name) ? (try? checkpoint.info(name))?.shape : nil
    }
    public func floats(_ name: String) throws -> [Float] { try checkpoint.floats(name) }
    /// Number of scalar parameters in the checkpoint.
    public var parameterCount: Int { checkpoint.names.reduce(0) { $0 + (shape(of: $1)?.reduce(1, *) ?? 0) } }
    /// The files the checkpoint reads.
    public var files: [URL] { checkpoint.files.map(\.url) }
}

/// A Stable Diffusion v1.x model read from a diffusers folder (`unet/`, `text_encoder/`, `vae/`,
/// `tokenizer/`, `scheduler/`). Every size comes from the folder's config files.
public struct StableDiffusionModel {
    public let directory: URL
    public let tokenizer: CLIPTokenizer
    public let textEncoder: CLIPTextModel
    public let unet: UNet
    public let vae: AutoencoderKL
    public let scheduler: SchedulerConfig
    /// Parameter counts by component, for `membrane inspect`.
    public let parameterCounts: [String: Int]
    /// A fingerprint of the UNet weights file (size and sampled content), for membrane metadata.
    public let unetFingerprint: String
    /// A fingerprint of the text encoder weights, for calibrations made with this encoder.
    public let textEncoderFingerprint: String

    /// Loads every component; errors name the file and the problem.
    public init(directory: URL, loadVAEEncoder: Bool = false) throws {
        self.directory = directory
        func sub(_ name: String) -> URL { directory.appendingPathComponent(name) }
        guard FileManager.default.fileExists(atPath: directory.path) else { throw ModelError.missingFile(directory.path) }
        // Every config first, so a bad one is reported before any weight is read.
        tokenizer = try CLIPTokenizer(directory: sub("tokenizer"))
        let textConfig = try CLIPTextConfig.load(sub("text_encoder/config.json"))
        let unetConfig = try UNetConfig.load(sub("unet/config.json"))
        let vaeConfig = try VAEConfig.load(sub("vae/config.json"))
        scheduler = try SchedulerConfig.load(sub("scheduler/scheduler_config.json"))
        try StableDiffusionModel.check(tokenizer: tokenizer, fits: textConfig, file: sub("text_encoder/config.json").path)
        let textSource = try CheckpointSource(directory: sub("text_encoder"), weightsName: "model")
        textEncoder = try CLIPTextModel(config: textConfig, weights: Weights(textSource))
        let unetSource = try CheckpointSource(directory: sub("unet"), weightsName: "diffusion_pytorch_model")
        unet = try UNet(config: unetConfig, weights: Weights(unetSource))
        let vaeSource = try CheckpointSource(directory: sub("vae"), weightsName: "diffusion_pytorch_model")
        vae = try AutoencoderKL(config: vaeConfig, weights: Weights(vaeSource), loadEncoder: loadVAEEncoder)
        parameterCounts = ["unet": unetSource.parameterCount, "text_encoder": textSource.parameterCount, "vae": vaeSource.parameterCount]
        unetFingerprint = try contentFingerprint(of: unetSource.files)
        textEncoderFingerprint = try contentFingerprint(of: textSource.files)
    }

    /// Throws unless every id the tokenizer can produce has a row in the text encoder's token
    /// embedding and its sequences fit the position embedding (so no id is ever clamped).
    static func check(tokenizer: CLIPTokenizer, fits config: CLIPTextConfig, file: String) throws {
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
