import Foundation
import Membranes
import StableDiffusion

/// A catalog file: the base model and the concepts to erase, each with its resolved training
/// config.
///
/// ```yaml
/// model: path/to/diffusers/folder      # base model (relative paths: from the catalog's folder),
///                                      # or a single LDM .safetensors checkpoint
/// model_config: path/to/folder         # single files: diffusers configs + tokenizer (optional)
/// original_config: path/to/model.yaml  # single files: LDM YAML (optional; default <stem>.yaml beside)
/// ema: false                           # single files: the UNet's EMA weights (optional)
/// config: configs/shapesworld/red.yaml # shared training config (optional)
/// iterations: 200                      # overrides of the shared config (optional), any config key
/// checkpoint_every: 25                 # iterations between checkpoints (default 25)
/// evaluate: eval/colours.yaml          # measure each membrane after training (optional;
/// reader: clip:/models/clip-vit-base-patch32  #   see ConceptEvaluation), and publish it only
/// gate: {max_target_rate: 0.1}         #   when it clears the gate (EvaluationGate)
/// concepts:
///   - name: red                        # library entry name
///     target: red                      # what to erase (default: the name)
///   - name: triangle
///     la_strength: 500                 # any config key may be overridden per concept
/// ```
///
/// A concept's config is the shared config, then the catalog's top-level overrides, then the
/// concept's own keys. Unknown keys are refused with the file and key named.
public struct Catalog {
    /// One library entry to train.
    public struct Concept {
        /// Library entry name (a folder name in the library).
        public var name: String
        /// The fully resolved training config.
        public var config: TrainingConfig
        /// How the membrane is measured and gated after training; `nil`: published as trained.
        public var evaluation: ConceptEvaluation?
    }

    /// The catalog file.
    public var source: URL
    /// The base model: a diffusers folder or a single checkpoint file.
    public var model: URL
    /// The base model with what describes it when it is a single file.
    public var modelSource: ModelSource
    /// Iterations between checkpoints.
    public var checkpointEvery: Int
    /// The concepts, in catalog order.
    public var concepts: [Concept]

    /// Keys of the catalog itself; every training-config key is accepted too (as an override).
    public static let keys: Set<String> = Set(["model", "model_config", "original_config", "ema", "config", "checkpoint_every", "concepts"])
        .union(ConceptEvaluation.keys)
    /// Keys of a concept besides the training-config keys.
    public static let conceptKeys: Set<String> = Set(["name"]).union(ConceptEvaluation.keys)

    /// Reads and checks a catalog file. Nothing is written anywhere.
    public static func load(_ url: URL) throws -> Catalog {
        try Catalog(values: try loadYAMLMapping(url), source: url)
    }

    /// Builds a catalog from its decoded top-level mapping; `source` names the file in errors and
    /// anchors relative paths.
    public init(values: [String: Any], source: URL) throws {
        let file = source.path
        func fail(_ key: String, _ problem: String) -> CatalogError { CatalogError(file: file, key: key, problem: problem) }
        for key in values.keys.sorted() where !Catalog.keys.contains(key) && !TrainingConfig.keys.contains(key) {
            throw fail(key, "unknown key (catalog keys: \(Catalog.keys.sorted().joined(separator: ", ")); or any training config key)")
        }
        let folder = source.deletingLastPathComponent()
        guard let modelText = values["model"] as? String, !modelText.isEmpty else {
            throw fail("model", "is required: the base model folder")
        }
        let model = Catalog.resolve(modelText, from: folder)
        guard FileManager.default.fileExists(atPath: model.path) else {
            throw fail("model", "\(model.path) does not exist")
        }
        func path(_ key: String) throws -> URL? {
            guard let value = values[key] else { return nil }
            guard let text = value as? String, !text.isEmpty else { throw fail(key, "expected a path") }
            return Catalog.resolve(text, from: folder)
        }
        if values["ema"] != nil && !(values["ema"] is Bool) { throw fail("ema", "expected true or false") }
        do {
            modelSource = try ModelSource(url: model, originalConfig: try path("original_config"), modelConfig: try path("model_config"),
                                          useEMA: values["ema"] as? Bool ?? false)
        } catch let error as ModelError {
            throw fail("model", "\(error)")
        }
        var shared: [String: Any] = [:]
        if let configValue = values["config"] {
            guard let configText = configValue as? String, !configText.isEmpty else { throw fail("config", "expected a file path") }
            let url = Catalog.resolve(configText, from: folder)
            shared = try loadYAMLMapping(url)
            for key in shared.keys.sorted() where !TrainingConfig.keys.contains(key) {
                throw CatalogError(file: url.path, key: key, problem: "unknown key (known: \(TrainingConfig.keys.sorted().joined(separator: ", ")))")
            }
        }
        for (key, value) in values where TrainingConfig.keys.contains(key) && !ConceptEvaluation.keys.contains(key) { shared[key] = value }
        var every = 25
        if let value = values["checkpoint_every"] {
            every = try ConfigLimits.limit("checkpoint_every").integer(from: value, file: file)
        }
        guard let list = values["concepts"] as? [Any], !list.isEmpty else {
            throw fail("concepts", "is required: a list of concepts, each a mapping with at least 'name'")
        }
        var concepts: [Concept] = []
        var seen: [String: String] = [:]
        for (index, item) in list.enumerated() {
            let label = "concepts[\(index)]"
            guard let entry = item as? [String: Any] else { throw fail(label, "expected a mapping with 'name' and config keys") }
            for key in entry.keys.sorted() where !Catalog.conceptKeys.contains(key) && !TrainingConfig.keys.contains(key) {
                throw fail("\(label).\(key)", "unknown key (concept keys: name, evaluate, reader, gate, or any training config key)")
            }
            guard let name = entry["name"] as? String else { throw fail("\(label).name", "is required (text)") }
            if let problem = Catalog.problem(withName: name) { throw fail("\(label).name", problem) }
            if let earlier = seen.updateValue(name, forKey: LibraryName.folded(name)) {
                let same = earlier.utf8.elementsEqual(name.utf8) ? "appears twice" : "and '\(earlier)' differ only in case or Unicode normalization (one folder on some file systems)"
                throw fail("\(label).name", "'\(name)' \(same)")
            }
            var merged = shared
            merged["target"] = name
            for (key, value) in entry where !Catalog.conceptKeys.contains(key) { merged[key] = value }
            let config = try TrainingConfig(values: merged, source: "\(file), concept '\(name)'")
            let evaluation = try ConceptEvaluation.resolve(top: values, own: entry, label: label, folder: folder, file: file)
            concepts.append(Concept(name: name, config: config, evaluation: evaluation))
        }
        self.source = source
        self.model = model
        self.checkpointEvery = every
        self.concepts = concepts
    }

    /// Why `name` cannot name a library entry, or `nil` if it can (the grammar of ``LibraryName``).
    public static func problem(withName name: String) -> String? {
        LibraryName.problem(name)
    }

    /// A path from the catalog, absolute or relative to the catalog's folder.
    static func resolve(_ path: String, from folder: URL) -> URL {
        let expanded = (path as NSString).expandingTildeInPath
        if expanded.hasPrefix("/") { return URL(fileURLWithPath: expanded).standardizedFileURL }
        return folder.appendingPathComponent(expanded).standardizedFileURL
    }
}

/// A catalog problem: the file, the key and what is wrong (nothing has been written).
public struct CatalogError: Error, CustomStringConvertible, Equatable {
    public let file: String
    public let key: String
    public let problem: String
    public var description: String { key.isEmpty ? "\(file): \(problem)" : "\(file): '\(key)' \(problem)" }
}
