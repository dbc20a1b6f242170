import AtomicFiles
import Foundation
import SafeTensors

/// Writes a model's weights as a diffusers folder or as one LDM checkpoint, streaming tensor by
/// tensor: `membrane convert` (bytes copied unchanged, so round trips are bit-identical) and
/// `membrane merge` (some tensors replaced, stored in their own dtype). Writes are atomic: a
/// single file through ``AtomicFile``; a folder is built under a temporary name beside the
/// destination and renamed into place. The input is never overwritten.
public enum ModelExport {
    /// New values for tensor `name` of `component` ("unet", "vae", "text_encoder"), or nil to copy it.
    public typealias Replacement = (_ component: String, _ name: String) throws -> [Float]?

    /// Why an export cannot be written.
    public struct Failure: Error, CustomStringConvertible {
        public let path: String
        public let problem: String
        public var description: String { "\(path): \(problem)" }
    }

    /// Writes `model` to `out` in `layout`. `metadata` goes into the header of the safetensors
    /// file holding the UNet (the single file, or a folder's `unet/` weights) beside `format`.
    /// An existing `out` (or, for a single file, its `<stem>.yaml`) is refused, never replaced.
    public static func write(_ model: ModelComponents, as layout: ModelSource.Layout, to out: URL,
                             replacing: Replacement? = nil, metadata: [String: String] = [:]) throws {
        try checkDestination(model, as: layout, to: out)
        switch layout {
        case .singleFile: try writeSingleFile(model, to: out, replacing: replacing, metadata: metadata)
        case .folder: try writeFolder(model, to: out, replacing: replacing, metadata: metadata)
        }
    }

    /// Throws unless ``write(_:as:to:replacing:metadata:)`` may write `out`: not the input, not
    /// inside it, not existing, and a `.safetensors` name for a single file. Commands call it
    /// before long work.
    public static func checkDestination(_ model: ModelComponents, as layout: ModelSource.Layout, to out: URL) throws {
        let input = model.source.url.standardizedFileURL.resolvingSymlinksInPath()
        let target = out.standardizedFileURL.resolvingSymlinksInPath()
        if target == input || target.path.hasPrefix(input.path + "/") {
            throw Failure(path: out.path, problem: "refusing to overwrite the input model \(model.source.url.path)")
        }
        if layout == .singleFile {
            guard out.pathExtension.lowercased() == "safetensors" else {
                throw Failure(path: out.path, problem: "a single-file checkpoint is written as .safetensors")
            }
            let yamlURL = out.deletingPathExtension().appendingPathExtension("yaml")
            if let given = model.source.resolvedOriginalConfig, given.standardizedFileURL == yamlURL.standardizedFileURL {
                throw Failure(path: yamlURL.path, problem: "refusing to overwrite the input model's config")
            }
            try refuseExisting(yamlURL)
        }
        try refuseExisting(out)
    }

    /// Refuses `url` when something is already there.
    static func refuseExisting(_ url: URL) throws {
        if FileManager.default.fileExists(atPath: url.path) {
            throw Failure(path: url.path, problem: "already exists; remove it or choose another --out")
        }
    }

    /// The components with their sources and how their names become LDM keys.
    static func parts(_ m: ModelComponents) -> [(name: String, source: RawTensorSource, ldm: (String) -> LDMKeyMap.Mapped?)] {
        let unetMap = LDMKeyMap.unet(m.unetConfig), vaeMap = LDMKeyMap.vae(m.vaeConfig)
        return [
            ("unet", m.unet, { unetMap.ldm($0).map { .init(name: SingleFileModel.unetPrefix + $0.name, convLinear: $0.convLinear) } }),
            ("vae", m.vae, { vaeMap.ldm($0).map { .init(name: SingleFileModel.vaePrefix + $0.name, convLinear: $0.convLinear) } }),
            ("text_encoder", m.text, { name in
                .init(name: SingleFileModel.textPrefix + (name.hasPrefix("text_model.") ? name : "text_model." + name), convLinear: false)
            }),
        ]
    }

    /// Streams `items` (each a source tensor with its key and shape in the output) into `url`.
    static func stream(_ items: [(component: String, source: RawTensorSource, name: String, key: String, shape: [Int])],
                       to url: URL, replacing: Replacement?, metadata: [String: String]) throws {
        var byKey: [String: (component: String, source: RawTensorSource, name: String)] = [:]
        var entries: [SafeTensorsStreamWriter.Entry] = []
        for item in items {
            guard byKey[item.key] == nil else { throw Failure(path: url.path, problem: "two tensors map to '\(item.key)'") }
            byKey[item.key] = (item.component, item.source, item.name)
            entries.append(.init(name: item.key, dtype: try item.source.layout(of: item.name).dtype, shape: item.shape))
        }
        try SafeTensorsStreamWriter.write(to: url, metadata: metadata.merging(["format": "pt"]) { _, format in format }, entries: entries) { entry, emit in
            guard let origin = byKey[entry.name] else { return }
            if let values = try replacing?(origin.component, origin.name) {
                let bytes = try SafeTensorsStreamWriter.encode(values, as: entry.dtype)
                try bytes.withUnsafeBytes { try emit($0) }
            } else {
                try origin.source.withRawBytes(origin.name) { try emit($0) }
            }
        }
    }

    static func writeSingleFile(_ m: ModelComponents, to out: URL, replacing: Replacement?, metadata: [String: String]) throws {
        var items: [(component: String, source: RawTensorSource, name: String, key: String, shape: [Int])] = []
        for part in parts(m) {
            for name in part.source.tensorNames {
                guard let mapped = part.ldm(name) else {
                    throw Failure(path: part.source.fileDescription, problem: "tensor '\(name)' has no place in the LDM layout of this architecture")
                }
                var shape = try part.source.layout(of: name).shape
                if mapped.convLinear && shape.count == 2 { shape += [1, 1] }
                items.append((part.name, part.source, name, mapped.name, shape))
            }
        }
        let yamlURL = out.deletingPathExtension().appendingPathExtension("yaml")
        let yaml = try LDMConfig.yaml(unet: m.unetConfig, vae: m.vaeConfig, scheduler: m.scheduler, file: out.path)
        try stream(items, to: out, replacing: replacing, metadata: metadata)
        try AtomicFile.write(Data(yaml.utf8), to: yamlURL)
    }

    static func writeFolder(_ m: ModelComponents, to out: URL, replacing: Replacement?, metadata: [String: String]) throws {
        let fm = FileManager.default
        let parent = out.deletingLastPathComponent()
        let temp = parent.appendingPathComponent(".\(out.lastPathComponent).partial-\(UUID().uuidString)")
        do {
            try fm.createDirectory(at: temp, withIntermediateDirectories: true)
            for (key, file) in ModelComponents.configFileNames {
                let url = temp.appendingPathComponent(file)
                try fm.createDirectory(at: url.deletingLastPathComponent(), withIntermediateDirectories: true)
                let data = try JSONSerialization.data(withJSONObject: m.configFiles[key] ?? [:], options: [.prettyPrinted, .sortedKeys])
                try AtomicFile.write(data, to: url)
            }
            let index: [String: Any] = ["_class_name": "StableDiffusionPipeline", "text_encoder": ["transformers", "CLIPTextModel"],
                                        "tokenizer": ["transformers", "CLIPTokenizer"], "unet": ["diffusers", "UNet2DConditionModel"],
                                        "vae": ["diffusers", "AutoencoderKL"], "scheduler": ["diffusers", "DDIMScheduler"],
                                        "safety_checker": [NSNull(), NSNull()], "feature_extractor": [NSNull(), NSNull()],
                                        "requires_safety_checker": false]
            try AtomicFile.write(try JSONSerialization.data(withJSONObject: index, options: [.prettyPrinted, .sortedKeys]),
                                 to: temp.appendingPathComponent("model_index.json"))
            let tokenizer = temp.appendingPathComponent("tokenizer")
            try fm.createDirectory(at: tokenizer, withIntermediateDirectories: true)
            for file in try fm.contentsOfDirectory(atPath: m.tokenizer.directory.path) where !file.hasPrefix(".") {
                try fm.copyItem(at: m.tokenizer.directory.appendingPathComponent(file), to: tokenizer.appendingPathComponent(file))
            }
            for (part, (folder, weights)) in zip(parts(m), ModelComponents.folderWeights) {
                let items = try part.source.tensorNames.map { name in
                    (component: part.name, source: part.source, name: name, key: name, shape: try part.source.layout(of: name).shape)
                }
                try stream(items, to: temp.appendingPathComponent(folder).appendingPathComponent(weights + ".safetensors"), replacing: replacing,
                           metadata: part.name == "unet" ? metadata : [:])
            }
            try fm.moveItem(at: temp, to: out)
            try AtomicFile.syncFolder(parent)
        } catch {
            try? fm.removeItem(at: temp)
            throw error
        }
    }
}
