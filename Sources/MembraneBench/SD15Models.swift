import Foundation
import StableDiffusion

/// The SD v1.5 config (as in runwayml/stable-diffusion-v1-5's unet/config.json).
/// bench/benchrows.py reads this string, so both sides of `make bench-compare` build the same UNet.
let sd15UNetConfig = """
{"_class_name": "UNet2DConditionModel", "act_fn": "silu", "attention_head_dim": 8,
 "block_out_channels": [320, 640, 1280, 1280], "center_input_sample": false, "cross_attention_dim": 768,
 "down_block_types": ["CrossAttnDownBlock2D", "CrossAttnDownBlock2D", "CrossAttnDownBlock2D", "DownBlock2D"],
 "downsample_padding": 1, "flip_sin_to_cos": true, "freq_shift": 0, "in_channels": 4, "layers_per_block": 2,
 "mid_block_scale_factor": 1, "norm_eps": 1e-05, "norm_num_groups": 32, "out_channels": 4, "sample_size": 64,
 "up_block_types": ["UpBlock2D", "CrossAttnUpBlock2D", "CrossAttnUpBlock2D", "CrossAttnUpBlock2D"]}
"""

/// The size the SD v1.5 rows run at. `MEMBRANE_BENCH_SD15_TINY=1` shrinks every width to a few
/// channels (UNet blocks of 32, a one-layer text encoder of width 32) to prove the code paths
/// in seconds; the timings then mean nothing. bench/sd15_pytorch.py reads the same variable and
/// applies the same overrides (``tinyUNet``, ``tinyTextEncoder``).
enum SD15Size {
    case full, tiny

    static var current: SD15Size { ProcessInfo.processInfo.environment["MEMBRANE_BENCH_SD15_TINY"] == "1" ? .tiny : .full }

    static var tinyUNet: [String: Any] { ["block_out_channels": [32, 32, 32, 32], "cross_attention_dim": 32] }
    static var tinyTextEncoder: [String: Any] {
        ["hidden_size": 32, "intermediate_size": 64, "num_hidden_layers": 1, "num_attention_heads": 2, "projection_dim": 32]
    }

    /// The UNet config dictionary at this size.
    var unet: [String: Any] {
        get throws {
            guard let object = try JSONSerialization.jsonObject(with: Data(sd15UNetConfig.utf8)) as? [String: Any] else {
                throw BenchError("sd15UNetConfig in UNetBench.swift is not a JSON object")
            }
            return self == .tiny ? object.merging(Self.tinyUNet) { $1 } : object
        }
    }

    /// The UNet at this size with random weights.
    func buildUNet(seed: UInt64) throws -> UNet {
        try UNet(config: try UNetConfig.load(try unet, path: "sd15UNetConfig"), weights: Weights(SyntheticSource(seed: seed)))
    }

    /// Text encoder (ViT-L/14, 77 tokens), UNet and schedule of SD v1.5 at this size, random weights.
    func buildModel(seed: UInt64) throws -> StableDiffusionModel {
        var configs = SyntheticModelConfigs.sd15
        configs.unet = try unet
        if self == .tiny { configs.textEncoder.merge(Self.tinyTextEncoder) { $1 } }
        return try StableDiffusionModel(synthetic: configs, tokenizerDirectory: try DefaultConfigs.tokenizerDirectory(), seed: seed)
    }

    /// Marks row notes taken at the tiny size.
    var noteSuffix: String { self == .tiny ? "; TINY smoke size (MEMBRANE_BENCH_SD15_TINY=1), not SD v1.5" : "" }
}

/// A benchmark that could not run, with the reason.
struct BenchError: Error, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = description }
}
