import Foundation

/// What a single checkpoint is read as when nothing describes it: SD v1.5's own diffusers
/// configs, and the CLIP ViT-L/14 tokenizer files shipped in the repository
/// (`Resources/clip-vit-large-patch14`). Channels, layers and vocabulary are then checked against
/// the weights as every shape is.
public enum DefaultConfigs {
    /// SD v1.5's `unet/config.json` (the keys that shape the graph).
    public static var unet: [String: Any] { [
        "_class_name": "UNet2DConditionModel", "in_channels": 4, "out_channels": 4, "sample_size": 64,
        "block_out_channels": [320, 640, 1280, 1280], "layers_per_block": 2, "attention_head_dim": 8,
        "cross_attention_dim": 768, "norm_num_groups": 32, "norm_eps": 1e-5, "act_fn": "silu",
        "down_block_types": ["CrossAttnDownBlock2D", "CrossAttnDownBlock2D", "CrossAttnDownBlock2D", "DownBlock2D"],
        "up_block_types": ["UpBlock2D", "CrossAttnUpBlock2D", "CrossAttnUpBlock2D", "CrossAttnUpBlock2D"],
        "mid_block_type": "UNetMidBlock2DCrossAttn", "flip_sin_to_cos": true, "freq_shift": 0,
        "downsample_padding": 1, "center_input_sample": false, "use_linear_projection": false,
    ] }

    /// SD v1.5's `vae/config.json`.
    public static var vae: [String: Any] { [
        "_class_name": "AutoencoderKL", "in_channels": 3, "out_channels": 3, "latent_channels": 4, "sample_size": 512,
        "block_out_channels": [128, 256, 512, 512], "layers_per_block": 2, "norm_num_groups": 32, "act_fn": "silu",
        "down_block_types": Array(repeating: "DownEncoderBlock2D", count: 4),
        "up_block_types": Array(repeating: "UpDecoderBlock2D", count: 4), "scaling_factor": 0.18215,
    ] }

    /// SD v1.5's `text_encoder/config.json` (CLIP ViT-L/14's text tower).
    public static var textEncoder: [String: Any] { [
        "architectures": ["CLIPTextModel"], "model_type": "clip_text_model", "vocab_size": 49408, "hidden_size": 768,
        "intermediate_size": 3072, "num_hidden_layers": 12, "num_attention_heads": 12, "max_position_embeddings": 77,
        "hidden_act": "quick_gelu", "layer_norm_eps": 1e-5, "bos_token_id": 0, "eos_token_id": 2, "pad_token_id": 1,
        "projection_dim": 768,
    ] }

    /// SD v1.5's noise schedule (its `scheduler_config.json` values).
    public static var scheduler: [String: Any] { [
        "_class_name": "DDIMScheduler", "num_train_timesteps": 1000, "beta_start": 0.00085, "beta_end": 0.012,
        "beta_schedule": "scaled_linear", "prediction_type": "epsilon", "set_alpha_to_one": false, "steps_offset": 1,
        "clip_sample": false, "timestep_spacing": "leading",
    ] }

    /// The folder of the repository's CLIP ViT-L/14 tokenizer files.
    static let tokenizerRelativePath = "Resources/clip-vit-large-patch14"

    /// The shipped CLIP ViT-L/14 tokenizer folder: `$MEMBRANE_CLIP_TOKENIZER`, then upwards from the
    /// executable, then upwards from this source file (a build from a clone), then the working
    /// directory.
    public static func tokenizerDirectory() throws -> URL {
        let fm = FileManager.default
        func valid(_ url: URL) -> Bool { fm.fileExists(atPath: url.appendingPathComponent("vocab.json").path) }
        if let env = ProcessInfo.processInfo.environment["MEMBRANE_CLIP_TOKENIZER"], !env.isEmpty {
            let url = URL(fileURLWithPath: env)
            guard valid(url) else { throw ModelError.missingFile(url.appendingPathComponent("vocab.json").path) }
            return url
        }
        let starts = [URL(fileURLWithPath: CommandLine.arguments.first ?? "").resolvingSymlinksInPath().deletingLastPathComponent(),
                      URL(fileURLWithPath: #filePath).deletingLastPathComponent()]
        for start in starts {
            var dir = start
            for _ in 0..<7 {
                let candidate = dir.appendingPathComponent(tokenizerRelativePath)
                if valid(candidate) { return candidate }
                dir = dir.deletingLastPathComponent()
            }
        }
        let local = URL(fileURLWithPath: fm.currentDirectoryPath).appendingPathComponent(tokenizerRelativePath)
        if valid(local) { return local }
        throw ModelError.missingFile("\(tokenizerRelativePath)/vocab.json (the CLIP tokenizer shipped with Membrane; set MEMBRANE_CLIP_TOKENIZER or give --model-config)")
    }
}
