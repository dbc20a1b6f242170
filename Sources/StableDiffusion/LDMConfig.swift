import Foundation
import Yams

/// An original LDM inference config (the `v1-inference.yaml` style that SD-WebUI reads beside a
/// checkpoint) read as the diffusers config files it implies: `unet`, `vae` and `scheduler` are
/// dictionaries in the keys of `unet/config.json`, `vae/config.json` and
/// `scheduler/scheduler_config.json`, so they decode and validate like a folder's.
///
/// The YAML says nothing about the text encoder beyond its class (`cond_stage_config.target`),
/// nor about the tokenizer.
public struct LDMConfig {
    public var unet: [String: Any]
    public var vae: [String: Any]
    public var scheduler: [String: Any]
    /// `cond_stage_config.target`, when given.
    public var textEncoderTarget: String?
    /// The YAML file.
    public let file: URL

    /// Reads and translates `url`; errors name the file and the key.
    public static func load(_ url: URL) throws -> LDMConfig {
        guard let data = FileManager.default.contents(atPath: url.path), let text = String(data: data, encoding: .utf8) else {
            throw ModelError.missingFile(url.path)
        }
        let root: Any?
        do { root = try Yams.load(yaml: text) } catch {
            throw ModelError.invalidConfig(file: url.path, problem: "invalid YAML: \(error)")
        }
        let reader = YAMLReader(file: url.path)
        let params = try reader.mapping(try reader.mapping(root, "the top level")["model"], "model")["params"]
        let model = try reader.mapping(params, "model.params")
        let unetParams = try reader.mapping(try reader.mapping(model["unet_config"], "model.params.unet_config")["params"], "unet_config.params")
        let firstStage = try reader.mapping(try reader.mapping(model["first_stage_config"], "model.params.first_stage_config")["params"], "first_stage_config.params")
        let cond = model["cond_stage_config"] as? [String: Any]
        return LDMConfig(unet: try unetConfig(unetParams, reader: reader),
                         vae: try vaeConfig(firstStage, scaleFactor: try reader.double(model, "scale_factor", default: 0.18215), reader: reader),
                         scheduler: try schedulerConfig(model, reader: reader),
                         textEncoderTarget: cond?["target"] as? String, file: url)
    }

    static func unetConfig(_ p: [String: Any], reader r: YAMLReader) throws -> [String: Any] {
        for (key, problem) in [("num_classes", "class-conditional UNets"), ("adm_in_channels", "added conditioning (SDXL)"),
                               ("disable_self_attentions", "UNets without self-attention"), ("num_attention_blocks", "partial attention blocks")]
        where p[key] != nil && !(p[key] is NSNull) {
            throw ModelError.unsupported(file: r.file, option: "unet_config.params.\(key)", reason: "\(problem) are not supported")
        }
        for (key, wanted) in [("use_spatial_transformer", true), ("resblock_updown", false), ("conv_resample", true), ("use_scale_shift_norm", false)]
        where try r.bool(p, key, default: wanted) != wanted {
            throw ModelError.unsupported(file: r.file, option: "unet_config.params.\(key): \(!wanted)", reason: "only \(wanted) is supported")
        }
        if try r.int(p, "dims", default: 2) != 2 { throw ModelError.unsupported(file: r.file, option: "unet_config.params.dims", reason: "only 2-D UNets") }
        let base = try r.int(p, "model_channels")
        let mult = try r.ints(p, "channel_mult")
        let channels = mult.map { $0 * base }
        let attention = Set(try r.ints(p, "attention_resolutions"))
        let levels = channels.indices.map { attention.contains(1 << $0) }
        let heads = try r.int(p, "num_heads", default: -1), headChannels = try r.int(p, "num_head_channels", default: -1)
        let headCounts: Any
        if headChannels > 0 {
            for c in channels where c % headChannels != 0 {
                throw ModelError.invalidConfig(file: r.file, problem: "unet_config.params.num_head_channels \(headChannels) does not divide \(c) channels")
            }
            headCounts = channels.map { $0 / headChannels }
        } else if heads > 0 {
            headCounts = heads
        } else {
            throw ModelError.invalidConfig(file: r.file, problem: "unet_config.params needs num_heads or num_head_channels")
        }
        return [
            "_class_name": "UNet2DConditionModel",
            "in_channels": try r.int(p, "in_channels", default: 4), "out_channels": try r.int(p, "out_channels", default: 4),
            "block_out_channels": channels,
            "down_block_types": levels.map { $0 ? "CrossAttnDownBlock2D" : "DownBlock2D" },
            "up_block_types": levels.reversed().map { $0 ? "CrossAttnUpBlock2D" : "UpBlock2D" },
            "mid_block_type": "UNetMidBlock2DCrossAttn",
            "layers_per_block": try r.intOrList(p, "num_res_blocks"),
            "attention_head_dim": headCounts,
            "cross_attention_dim": try r.int(p, "context_dim"),
            "transformer_layers_per_block": try r.intOrList(p, "transformer_depth", default: 1),
            "use_linear_projection": try r.bool(p, "use_linear_in_transformer", default: false),
            "sample_size": try r.int(p, "image_size", default: 64),
            "flip_sin_to_cos": true, "freq_shift": 0, "norm_num_groups": 32, "norm_eps": 1e-5, "act_fn": "silu",
            "downsample_padding": 1, "center_input_sample": false,
        ]
    }

    static func vaeConfig(_ p: [String: Any], scaleFactor: Double, reader r: YAMLReader) throws -> [String: Any] {
        let dd = try r.mapping(p["ddconfig"], "first_stage_config.params.ddconfig")
        let base = try r.int(dd, "ch"), mult = try r.ints(dd, "ch_mult")
        let z = try r.int(dd, "z_channels")
        if !(try r.ints(dd, "attn_resolutions", default: [])).isEmpty {
            throw ModelError.unsupported(file: r.file, option: "ddconfig.attn_resolutions", reason: "VAEs with attention outside the mid block are not supported")
        }
        if try !r.bool(dd, "double_z", default: true) {
            throw ModelError.unsupported(file: r.file, option: "ddconfig.double_z: false", reason: "only double_z true")
        }
        if let embed = p["embed_dim"], (embed as? Int) != z {
            throw ModelError.unsupported(file: r.file, option: "first_stage_config.params.embed_dim \(embed)", reason: "must equal ddconfig.z_channels \(z)")
        }
        return [
            "_class_name": "AutoencoderKL",
            "in_channels": try r.int(dd, "in_channels", default: 3), "out_channels": try r.int(dd, "out_ch", default: 3),
            "latent_channels": z, "block_out_channels": mult.map { $0 * base },
            "down_block_types": mult.map { _ in "DownEncoderBlock2D" }, "up_block_types": mult.map { _ in "UpDecoderBlock2D" },
            "layers_per_block": try r.int(dd, "num_res_blocks"), "norm_num_groups": 32, "act_fn": "silu",
            "sample_size": try r.int(dd, "resolution", default: 256), "scaling_factor": scaleFactor,
        ]
    }

    static func schedulerConfig(_ p: [String: Any], reader r: YAMLReader) throws -> [String: Any] {
        let schedule: String
        switch try r.string(p, "beta_schedule", default: "linear") {
        case "linear": schedule = "scaled_linear"  // LDM's "linear" interpolates square roots
        case "cosine": schedule = "squaredcos_cap_v2"
        case let other: throw ModelError.unsupported(file: r.file, option: "model.params.beta_schedule: \(other)", reason: "known: linear, cosine")
        }
        let prediction: String
        switch try r.string(p, "parameterization", default: "eps") {
        case "eps": prediction = "epsilon"
        case "v": prediction = "v_prediction"
        case let other: throw ModelError.unsupported(file: r.file, option: "model.params.parameterization: \(other)", reason: "known: eps, v")
        }
        return [
            "_class_name": "DDIMScheduler", "num_train_timesteps": try r.int(p, "timesteps", default: 1000),
            "beta_start": try r.double(p, "linear_start", default: 0.00085), "beta_end": try r.double(p, "linear_end", default: 0.012),
            "beta_schedule": schedule, "prediction_type": prediction, "set_alpha_to_one": false, "steps_offset": 1,
            "clip_sample": false, "timestep_spacing": "leading",
        ]
    }
}

/// Typed reads from a parsed YAML mapping; errors name the file and the key.
struct YAMLReader {
    let file: String

    func mapping(_ value: Any?, _ key: String) throws -> [String: Any] {
        guard let m = value as? [String: Any] else { throw ModelError.invalidConfig(file: file, problem: "'\(key)' must be a mapping") }
        return m
    }
    func int(_ m: [String: Any], _ key: String, default d: Int? = nil) throws -> Int {
        guard let v = m[key], !(v is NSNull) else {
            if let d { return d }
            throw ModelError.invalidConfig(file: file, problem: "missing key '\(key)'")
        }
        guard let i = v as? Int else { throw ModelError.invalidConfig(file: file, problem: "'\(key)' must be an integer") }
        return i
    }
    func ints(_ m: [String: Any], _ key: String, default d: [Int]? = nil) throws -> [Int] {
        guard let v = m[key], !(v is NSNull) else {
            if let d { return d }
            throw ModelError.invalidConfig(file: file, problem: "missing key '\(key)'")
        }
        guard let list = v as? [Any], let ints = list as? [Int] else {
            throw ModelError.invalidConfig(file: file, problem: "'\(key)' must be a list of integers")
        }
        return ints
    }
    func intOrList(_ m: [String: Any], _ key: String, default d: Int? = nil) throws -> Any {
        if m[key] is [Any] { return try ints(m, key) }
        return try int(m, key, default: d)
    }
    func double(_ m: [String: Any], _ key: String, default d: Double) throws -> Double {
        guard let v = m[key], !(v is NSNull) else { return d }
        if let x = v as? Double { return x }
        if let x = v as? Int { return Double(x) }
        throw ModelError.invalidConfig(file: file, problem: "'\(key)' must be a number")
    }
    func bool(_ m: [String: Any], _ key: String, default d: Bool) throws -> Bool {
        guard let v = m[key], !(v is NSNull) else { return d }
        guard let b = v as? Bool else { throw ModelError.invalidConfig(file: file, problem: "'\(key)' must be true or false") }
        return b
    }
    func string(_ m: [String: Any], _ key: String, default d: String) throws -> String {
        guard let v = m[key], !(v is NSNull) else { return d }
        guard let s = v as? String else { throw ModelError.invalidConfig(file: file, problem: "'\(key)' must be text") }
        return s
    }
}
