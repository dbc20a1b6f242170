import Foundation

/// Where a Stable Diffusion v1.x model comes from: a diffusers folder or one checkpoint file in
/// the original CompVis/LDM layout, with what describes a single file's architecture. Every
/// command loads models through this (``ModelComponents/open(_:)``).
public struct ModelSource: Sendable, Equatable {
    /// How the weights are laid out.
    public enum Layout: Sendable, Equatable {
        /// A diffusers folder (`unet/`, `text_encoder/`, `vae/`, `tokenizer/`, `scheduler/`).
        case folder
        /// One `.safetensors` or `.ckpt` file with LDM keys (`model.diffusion_model.*`, ...).
        case singleFile
    }

    /// The folder or the file.
    public var url: URL
    public var layout: Layout
    /// An LDM inference YAML for a single file (`--original-config`); nil: `<stem>.yaml` beside
    /// the file when there is one.
    public var originalConfig: URL?
    /// A diffusers folder whose configs and tokenizer describe a single file (`--model-config`).
    public var modelConfig: URL?
    /// Read a single file's EMA UNet weights (`model_ema.*`) instead of `model.diffusion_model.*`.
    public var useEMA: Bool

    /// File extensions read as single checkpoints (`.ckpt`: a PyTorch zip archive, read
    /// without running its pickle).
    public static let singleFileExtensions = ["safetensors", "ckpt"]

    /// Classifies `url` by what is on disk: a folder, or a file by its extension. The single-file
    /// options are refused for folders, which carry their own configs.
    public init(url: URL, originalConfig: URL? = nil, modelConfig: URL? = nil, useEMA: Bool = false) throws {
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: url.path, isDirectory: &isDirectory) else { throw ModelError.missingFile(url.path) }
        self.url = url
        self.originalConfig = originalConfig
        self.modelConfig = modelConfig
        self.useEMA = useEMA
        if isDirectory.boolValue {
            layout = .folder
            let given = [originalConfig != nil ? "--original-config" : nil, modelConfig != nil ? "--model-config" : nil, useEMA ? "--ema" : nil].compactMap { $0 }
            if let first = given.first {
                throw ModelError.unsupported(file: url.path, option: first, reason: "it describes single-file checkpoints; a diffusers folder carries its own configs and weights")
            }
        } else if Self.singleFileExtensions.contains(url.pathExtension.lowercased()) {
            layout = .singleFile
        } else {
            let ext = url.pathExtension.isEmpty ? "no extension" : "extension .\(url.pathExtension)"
            throw ModelError.unsupported(file: url.path, option: ext, reason: "a model is a diffusers folder or a single-file checkpoint (\(Self.singleFileExtensions.map { "." + $0 }.joined(separator: ", ")))")
        }
    }

    /// A diffusers folder.
    public static func folder(_ url: URL) throws -> ModelSource { try ModelSource(url: url) }

    /// The LDM YAML that describes a single file: the given one, else `<stem>.yaml` beside it.
    public var resolvedOriginalConfig: URL? {
        if let originalConfig { return originalConfig }
        guard layout == .singleFile else { return nil }
        let beside = url.deletingPathExtension().appendingPathExtension("yaml")
        return FileManager.default.fileExists(atPath: beside.path) ? beside : nil
    }

    /// A short name for metadata: the folder's name, or the file's name without extension.
    public var name: String {
        layout == .folder ? url.lastPathComponent : url.deletingPathExtension().lastPathComponent
    }
}
