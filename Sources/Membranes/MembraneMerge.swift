import Foundation
import StableDiffusion
import TensorEngine

/// Why membranes cannot be merged into a model.
public struct MembraneMergeError: Error, CustomStringConvertible, Equatable {
    public let problem: String
    public var description: String { problem }
}

/// `membrane merge`: membranes baked into a model's UNet weights at fixed weights, written as a
/// checkpoint in the input's layout for serving stacks that load one checkpoint and cannot run
/// Facilitated Transport.
///
/// Each adapted weight becomes `W + sum(weight * alpha / rank * up down)` (a conv's
/// `up [out, r, 1, 1]` times `down [r, in, k, k]` reshaped to `[out, in, k, k]`): the term
/// ``Transport/fixed(_:)`` adds at inference, merged as ``MergedMembranes`` merges it, in float32
/// and then rounded to the tensor's stored dtype. Every other tensor is copied byte for byte.
public enum MembraneMerge {
    /// What a merged checkpoint records about each membrane, under ``metadataKey`` in the
    /// header of the file holding the UNet. No paths or times, so the same inputs give the same bytes.
    public struct Record: Codable, Equatable, Sendable {
        /// The membrane file's name (without its folder).
        public var file: String
        /// The weight it was merged at, as `fixed:W` writes it.
        public var weight: String
        /// `membrane.config_hash` of the membrane, when it has one (membranes trained elsewhere do not).
        public var configHash: String?
        /// A content hash of the membrane file.
        public var contentHash: String
        /// The concepts it erases.
        public var targets: [String]

        enum CodingKeys: String, CodingKey {
            case file, weight, targets
            case configHash = "config_hash", contentHash = "content_hash"
        }
    }

    /// Metadata key of the JSON list of ``Record``s.
    public static let metadataKey = "membrane.merged"
    /// Metadata key of the fingerprint of the UNet the membranes were merged into.
    public static let baseMetadataKey = "membrane.merged_base_fingerprint"

    /// One weight per membrane from what the user gave: none (1 for each), one (for all), or
    /// one per membrane. Every weight must be finite.
    public static func weights(_ given: [Float], membranes: Int) throws(MembraneMergeError) -> [Float] {
        guard membranes > 0 else { throw MembraneMergeError(problem: "give at least one --membrane") }
        if let bad = given.first(where: { !$0.isFinite }) {
            throw MembraneMergeError(problem: "--weight \(bad) is not a finite number")
        }
        switch given.count {
        case 0: return Array(repeating: 1, count: membranes)
        case 1: return Array(repeating: given[0], count: membranes)
        case membranes: return given
        default:
            throw MembraneMergeError(problem: "\(given.count) --weight values for \(membranes) --membrane files: give one weight for all, or one per membrane in the same order")
        }
    }

    /// Merges the membrane files `files` at `weights` (see ``weights(_:membranes:)``) into
    /// `components`' UNet and writes the result to `out` in the input's layout, atomically.
    /// Membranes are read for this model's architecture (``Membrane/read(from:sites:)``); the
    /// destination is checked before the model is loaded. Returns what was recorded.
    public static func write(_ components: ModelComponents, membranes files: [URL], weights given: [Float], to out: URL) throws -> [Record] {
        let weights = try weights(given, membranes: files.count)
        try ModelExport.checkDestination(components, as: components.source.layout, to: out)
        for file in files where !FileManager.default.fileExists(atPath: file.path) {
            throw MembraneFileError(path: file.path, problem: "file does not exist")
        }
        let model = try StableDiffusionModel(components: components)
        let sites = model.unet.adapterSites
        let membranes = try files.map { try Membrane.read(from: $0, sites: sites) }
        let records = try zip(files, zip(membranes, weights)).map { file, entry in
            Record(file: file.lastPathComponent, weight: entry.1.description, configHash: entry.0.info["membrane.config_hash"],
                   contentHash: try contentFingerprint(of: [file]), targets: entry.0.targets)
        }
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        let metadata = [metadataKey: String(decoding: try encoder.encode(records), as: UTF8.self),
                        baseMetadataKey: model.unetFingerprint]
        let adapted = Set(membranes.flatMap(\.layers.keys))
        let merged = MergedMembranes(Array(zip(membranes, weights)).map { (membrane: $0.0, multiplier: $0.1) })
        let unet = components.unet
        try ModelExport.write(components, as: components.source.layout, to: out, replacing: { component, name in
            guard component == "unet", name.hasSuffix(".weight") else { return nil }
            let path = String(name.dropLast(".weight".count))
            guard adapted.contains(path) else { return nil }
            let layout = try unet.layout(of: name)
            let original = Tensor(shape: layout.shape, values: try unet.floats(name))
            try checkFit(membranes, files: files, path: path, weight: original)
            return merged.mergedWeight(original, path: path).scalars
        }, metadata: metadata)
        return records
    }

    /// The records of a merged checkpoint's metadata, or nil when it holds none.
    public static func records(in metadata: [String: String]) -> [Record]? {
        guard let json = metadata[metadataKey] else { return nil }
        return try? JSONDecoder().decode([Record].self, from: Data(json.utf8))
    }

    /// Throws unless every membrane layer at `path` has as many rows and columns as the weight
    /// (guaranteed when the membranes were read for this model's sites).
    static func checkFit(_ membranes: [Membrane], files: [URL], path: String, weight: Tensor) throws {
        let rows = weight.shape.first ?? 0, width = rows > 0 ? weight.count / rows : 0
        for (membrane, file) in zip(membranes, files) {
            guard let l = membrane.layers[path] else { continue }
            guard l.up.count == rows * l.rank, l.down.count == l.rank * width else {
                throw MembraneFileError(path: file.path, problem: "layer \(path) has shapes \(l.down.shape) and \(l.up.shape), which do not fit the weight \(weight.shape)")
            }
        }
    }
}
