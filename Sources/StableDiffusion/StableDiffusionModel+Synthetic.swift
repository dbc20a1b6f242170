import Foundation
import Tokenizer

/// The architecture of a model with random weights: one diffusers config dictionary per
/// component, in the JSON keys of the diffusers files (as ``DefaultConfigs``).
public struct SyntheticModelConfigs {
    public var unet: [String: Any]
    public var textEncoder: [String: Any]
    public var vae: [String: Any]
    public var scheduler: [String: Any]

    public init(unet: [String: Any], textEncoder: [String: Any], vae: [String: Any], scheduler: [String: Any]) {
        self.unet = unet
        self.textEncoder = textEncoder
        self.vae = vae
        self.scheduler = scheduler
    }

    /// SD v1.5's UNet, text encoder (CLIP ViT-L/14, 77 tokens) and noise schedule, with a VAE of
    /// SD's latent layout (4 channels, downscale 8) but 32 channels per block: training never
    /// runs the VAE, so its size only adds memory.
    public static var sd15: SyntheticModelConfigs {
        var vae = DefaultConfigs.vae
        vae["block_out_channels"] = [32, 32, 32, 32]
        vae["layers_per_block"] = 1
        return SyntheticModelConfigs(unet: DefaultConfigs.unet, textEncoder: DefaultConfigs.textEncoder, vae: vae,
                                     scheduler: DefaultConfigs.scheduler)
    }
}

extension StableDiffusionModel {
    /// A model of the architecture `configs` describes with random weights (``SyntheticSource``,
    /// seeded by `seed`) and the tokenizer in `tokenizerDirectory`: for benchmarks of real-size
    /// architectures without downloading their weights. Its ``directory`` is the tokenizer
    /// folder; its fingerprints are "synthetic:<seed>". Throws when a config is invalid or the
    /// tokenizer does not fit the text encoder.
    public init(synthetic configs: SyntheticModelConfigs, tokenizerDirectory: URL, seed: UInt64) throws {
        let name = "synthetic model"
        source = try ModelSource(url: tokenizerDirectory)
        tokenizer = try CLIPTokenizer(directory: tokenizerDirectory)
        let textConfig = try CLIPTextConfig.load(configs.textEncoder, path: "\(name) text_encoder config")
        try Self.check(tokenizer: tokenizer, fits: textConfig, file: "\(name) text_encoder config")
        scheduler = try SchedulerConfig.load(configs.scheduler, path: "\(name) scheduler config")
        let text = SyntheticSource(seed: seed), unetWeights = SyntheticSource(seed: seed &+ 1), vaeWeights = SyntheticSource(seed: seed &+ 2)
        textEncoder = try CLIPTextModel(config: textConfig, weights: Weights(text))
        unet = try UNet(config: try UNetConfig.load(configs.unet, path: "\(name) unet config"), weights: Weights(unetWeights))
        vae = try AutoencoderKL(config: try VAEConfig.load(configs.vae, path: "\(name) vae config"), weights: Weights(vaeWeights), loadEncoder: false)
        parameterCounts = ["unet": unetWeights.scalarCount, "text_encoder": text.scalarCount, "vae": vaeWeights.scalarCount]
        unetFingerprint = "synthetic:\(seed)"
        textEncoderFingerprint = "synthetic:\(seed)"
        notes = ["random weights (seed \(seed))"]
    }
}
