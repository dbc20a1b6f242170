import Foundation
import Tokenizer

/// A model before its layers are built: configs, tokenizer and one weight source per component,
/// from a diffusers folder or a single LDM checkpoint alike. ``StableDiffusionModel``,
/// `membrane convert` and `membrane merge` all start here, so every command reads models the
/// same way.
public struct ModelComponents {
    public let source: ModelSource
    public let tokenizer: CLIPTokenizer
    public let textConfig: CLIPTextConfig
    public let unetConfig: UNetConfig
    public let vaeConfig: VAEConfig
    public let scheduler: SchedulerConfig
    /// Weights in diffusers names.
    public let text: RawTensorSource, unet: RawTensorSource, vae: RawTensorSource
    /// The config files' contents in their JSON keys: `unet`, `vae`, `text_encoder`, `scheduler`.
    public let configFiles: [String: [String: Any]]
    /// Where the architecture was read from (a folder, a YAML, `--model-config` or defaults).
    public let architectureOrigin: String
    /// Things the user should know (keys ignored, EMA weights present but unused).
    public let notes: [String]

    /// The component folders of the diffusers layout and their weight file names.
    public static let folderWeights = [("unet", "diffusion_pytorch_model"), ("vae", "diffusion_pytorch_model"), ("text_encoder", "model")]
    /// The config file of each component in the diffusers layout.
    public static let configFileNames = ["unet": "unet/config.json", "vae": "vae/config.json",
                                         "text_encoder": "text_encoder/config.json", "scheduler": "scheduler/scheduler_config.json"]

    init(source: ModelSource, tokenizer: CLIPTokenizer, configFiles: [String: [String: Any]], configPaths: [String: String],
         text: RawTensorSource, unet: RawTensorSource, vae: RawTensorSource, architectureOrigin: String, notes: [String]) throws {
        func path(_ key: String) -> String { configPaths[key] ?? key }
        self.source = source
        self.tokenizer = tokenizer
        self.configFiles = configFiles
        textConfig = try CLIPTextConfig.load(configFiles["text_encoder"] ?? [:], path: path("text_encoder"))
        unetConfig = try UNetConfig.load(configFiles["unet"] ?? [:], path: path("unet"))
        vaeConfig = try VAEConfig.load(configFiles["vae"] ?? [:], path: path("vae"))
        scheduler = try SchedulerConfig.load(configFiles["scheduler"] ?? [:], path: path("scheduler"))
        try StableDiffusionModel.check(tokenizer: tokenizer, fits: textConfig, file: path("text_encoder"))
        self.text = text
        self.unet = unet
        self.vae = vae
        self.architectureOrigin = architectureOrigin
        self.notes = notes
    }

    /// Opens `source` in its layout.
    public static func open(_ source: ModelSource) throws -> ModelComponents {
        switch source.layout {
        case .folder: return try openFolder(source)
        case .singleFile: return try SingleFileModel.open(source)
        }
    }

    static func openFolder(_ source: ModelSource) throws -> ModelComponents {
        let dir = source.url
        var files: [String: [String: Any]] = [:], paths: [String: String] = [:]
        for (key, name) in configFileNames {
            let url = dir.appendingPathComponent(name)
            files[key] = try readJSONObject(url)
            paths[key] = url.path
        }
        let tokenizer = try CLIPTokenizer(directory: dir.appendingPathComponent("tokenizer"))
        let text = try CheckpointSource(directory: dir.appendingPathComponent("text_encoder"), weightsName: "model")
        let unet = try CheckpointSource(directory: dir.appendingPathComponent("unet"), weightsName: "diffusion_pytorch_model")
        let vae = try CheckpointSource(directory: dir.appendingPathComponent("vae"), weightsName: "diffusion_pytorch_model")
        return try ModelComponents(source: source, tokenizer: tokenizer, configFiles: files, configPaths: paths,
                                   text: text, unet: unet, vae: vae, architectureOrigin: dir.path, notes: [])
    }

    /// A config file's top-level object; errors name the file.
    static func readJSONObject(_ url: URL) throws -> [String: Any] {
        guard let data = FileManager.default.contents(atPath: url.path) else { throw ModelError.missingFile(url.path) }
        guard let parsed = try? JSONSerialization.jsonObject(with: data) else {
            throw ModelError.invalidConfig(file: url.path, problem: "not valid JSON")
        }
        guard let object = parsed as? [String: Any] else { throw ModelError.invalidConfig(file: url.path, problem: "not a JSON object") }
        return object
    }

    /// The text encoder's canonical name of a tensor: without the optional `text_model.` prefix.
    public static func textCanonical(_ name: String) -> String {
        name.hasPrefix("text_model.") ? String(name.dropFirst("text_model.".count)) : name
    }
}
