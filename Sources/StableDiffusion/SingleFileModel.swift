import Foundation
import SafeTensors
import Tokenizer

/// Opens a single checkpoint in the original CompVis/LDM layout: `model.diffusion_model.*`
/// (UNet), `first_stage_model.*` (VAE), `cond_stage_model.transformer.[text_model.]*` (CLIP text),
/// optionally `model_ema.*` (the UNet's EMA weights, keys without dots).
///
/// The architecture comes from, in order: `--original-config` or `<stem>.yaml` beside the file
/// (UNet, VAE, noise schedule); `--model-config DIR` (a diffusers folder's configs and tokenizer);
/// SD v1.5's configs and the shipped CLIP ViT-L/14 tokenizer. The key maps are derived from that
/// architecture, and every tensor is then checked against it: a UNet or VAE key with no place in
/// it, a missing key or a shape that differs is an error naming the file and the key.
public enum SingleFileModel {
    /// Key prefixes of the LDM layout.
    public static let unetPrefix = "model.diffusion_model."
    public static let vaePrefix = "first_stage_model."
    public static let textPrefix = "cond_stage_model.transformer."
    public static let emaPrefix = "model_ema."

    /// The EMA key of UNet key `key` (`model.diffusion_model.a.b` -> `model_ema.diffusion_modelab`).
    public static func emaKey(_ key: String) -> String {
        emaPrefix + key.dropFirst("model.".count).replacingOccurrences(of: ".", with: "")
    }

    static func open(_ source: ModelSource) throws -> ModelComponents {
        let url = source.url
        let file = try openCheckpointFile(url)
        let yaml = try source.resolvedOriginalConfig.map(LDMConfig.load)
        let mc = source.modelConfig
        var files: [String: [String: Any]] = [:], paths: [String: String] = [:], origins: [String] = []
        for key in ["unet", "vae", "scheduler", "text_encoder"] {
            let fromYAML: [String: Any]? = switch key {
            case "unet": yaml?.unet
            case "vae": yaml?.vae
            case "scheduler": yaml?.scheduler
            default: nil
            }
            if let fromYAML, let yaml {
                files[key] = fromYAML
                paths[key] = yaml.file.path
            } else if let mc, let name = ModelComponents.configFileNames[key] {
                let configURL = mc.appendingPathComponent(name)
                files[key] = try ModelComponents.readJSONObject(configURL)
                paths[key] = configURL.path
            } else {
                files[key] = defaults[key]
                paths[key] = "SD v1.5 default \(key) config"
            }
        }
        if let target = yaml?.textEncoderTarget, target.contains("OpenCLIP") {
            throw ModelError.unsupported(file: yaml?.file.path ?? url.path, option: "cond_stage_config.target \(target)", reason: "only CLIP text encoders (SD v1.x) are supported")
        }
        if let yaml { origins.append(yaml.file.path) }
        if let mc { origins.append(mc.path) }
        let origin = origins.isEmpty ? "SD v1.5 defaults" : origins.joined(separator: " + ")
        let tokenizerDir = try mc.map { $0.appendingPathComponent("tokenizer") } ?? DefaultConfigs.tokenizerDirectory()
        let tokenizer = try CLIPTokenizer(directory: tokenizerDir)

        let unetConfig = try UNetConfig.load(files["unet"] ?? [:], path: paths["unet"] ?? url.path)
        let vaeConfig = try VAEConfig.load(files["vae"] ?? [:], path: paths["vae"] ?? url.path)
        let textConfig = try CLIPTextConfig.load(files["text_encoder"] ?? [:], path: paths["text_encoder"] ?? url.path)
        guard tokenizer.vocabularySize == textConfig.vocabSize else {
            throw ModelError.invalidConfig(file: tokenizerDir.path, problem: "the tokenizer has \(tokenizer.vocabularySize) tokens, the text encoder (\(paths["text_encoder"] ?? "")) \(textConfig.vocabSize)")
        }
        let unetMap = LDMKeyMap.unet(unetConfig), vaeMap = LDMKeyMap.vae(vaeConfig)
        let split = try Split(file: file, unetMap: unetMap, vaeMap: vaeMap, useEMA: source.useEMA, origin: origin)
        return try ModelComponents(source: source, tokenizer: tokenizer, configFiles: files, configPaths: paths,
                                   text: LDMComponentSource(file: file, stored: split.text) { textPrefix + $0 },
                                   unet: LDMComponentSource(file: file, stored: split.unet) { unetMap.ldm($0).map { unetPrefix + $0.name } },
                                   vae: LDMComponentSource(file: file, stored: split.vae) { vaeMap.ldm($0).map { vaePrefix + $0.name } },
                                   architectureOrigin: origin, notes: split.notes)
    }

    static var defaults: [String: [String: Any]] { ["unet": DefaultConfigs.unet, "vae": DefaultConfigs.vae,
                                                    "scheduler": DefaultConfigs.scheduler, "text_encoder": DefaultConfigs.textEncoder] }

    /// The file's keys sorted into components, in diffusers names.
    struct Split {
        var unet: [String: LDMComponentSource.Stored] = [:]
        var vae: [String: LDMComponentSource.Stored] = [:]
        var text: [String: LDMComponentSource.Stored] = [:]
        var notes: [String] = []

        init(file: CheckpointFile, unetMap: LDMKeyMap, vaeMap: LDMKeyMap, useEMA: Bool, origin: String) throws {
            func disagree(_ key: String) -> ModelError {
                .weights(file: file.path, problem: "tensor '\(key)' has no place in the architecture from \(origin): the config and the weights disagree")
            }
            var ignored: [String] = []
            var emaCount = 0
            for key in file.names {
                if key.hasPrefix(unetPrefix) {
                    guard let mapped = unetMap.diffusers(String(key.dropFirst(unetPrefix.count))) else { throw disagree(key) }
                    unet[mapped.name] = .init(key: useEMA ? emaKey(key) : key, convLinear: mapped.convLinear)
                } else if key.hasPrefix(vaePrefix) {
                    let rest = String(key.dropFirst(vaePrefix.count))
                    if rest.hasPrefix("loss.") { ignored.append(key); continue }
                    guard let mapped = vaeMap.diffusers(rest) else { throw disagree(key) }
                    vae[mapped.name] = .init(key: key, convLinear: mapped.convLinear)
                } else if key.hasPrefix(textPrefix) {
                    let rest = String(key.dropFirst(textPrefix.count))
                    text[rest.hasPrefix("text_model.") ? rest : "text_model." + rest] = .init(key: key, convLinear: false)
                } else if key.hasPrefix(emaPrefix) {
                    emaCount += 1
                } else {
                    ignored.append(key)
                }
            }
            for (part, found) in [("model.diffusion_model.* (UNet)", unet), ("first_stage_model.* (VAE)", vae), ("cond_stage_model.transformer.* (text encoder)", text)]
            where found.isEmpty {
                throw ModelError.weights(file: file.path, problem: "no \(part) tensors: not a Stable Diffusion v1.x checkpoint in the LDM layout")
            }
            if useEMA {
                guard emaCount > 0 else { throw ModelError.weights(file: file.path, problem: "--ema: the file has no EMA weights (model_ema.*)") }
                for s in unet.values where !file.contains(s.key) {
                    throw ModelError.missingTensor(file: file.path, name: s.key)
                }
            } else if emaCount > 0 {
                notes.append("\(file.path): \(emaCount) EMA tensors (model_ema.*) not used; pass --ema to read the UNet's EMA weights")
            }
            if !ignored.isEmpty {
                let shown = ignored.prefix(5).joined(separator: ", ") + (ignored.count > 5 ? ", ..." : "")
                notes.append("\(file.path): ignored \(ignored.count) tensors that are not part of the model: \(shown)")
            }
        }
    }
}
