import Foundation

/// The weights of one model component, stored as a single safetensors file or as shards.
///
/// In a diffusers or transformers folder a component's weights are either
/// `<weightsName>.safetensors` or `<weightsName>.safetensors.index.json`, whose `weight_map`
/// maps each tensor name to the shard file (in the same directory) that holds it. This type
/// opens whichever is present (the single file wins if both are) and answers tensor queries
/// without the caller knowing which shard holds what.
///
/// ```swift
/// let unet = try SafeTensorsCheckpoint(directory: modelDir.appendingPathComponent("unet"),
///                                      weightsName: "diffusion_pytorch_model")
/// let w = try unet.floats("conv_in.weight")
/// ```
public final class SafeTensorsCheckpoint: @unchecked Sendable {
    /// The component directory.
    public let directory: URL
    /// The index file, or `nil` when the weights are a single file.
    public let indexURL: URL?
    /// The opened files: the single file, or every shard named by the index (sorted by name).
    public let files: [SafeTensorsFile]
    /// All tensor names, sorted.
    public let names: [String]

    private let location: [String: SafeTensorsFile]

    /// Opens `<weightsName>.safetensors` or `<weightsName>.safetensors.index.json` in `directory`.
    ///
    /// `weightsName` is the file name without extension (e.g. `diffusion_pytorch_model` or
    /// `model`); a trailing `.safetensors` is ignored.
    ///
    /// - Throws: ``SafeTensorsError``: `.missingShard` if neither file exists or the index names a
    ///   shard that does not exist, `.invalidIndex` for a malformed index, `.shardLacksTensor` if
    ///   the index maps a tensor to a shard without it, and any error from opening a file.
    public init(directory: URL, weightsName: String) throws {
        self.directory = directory
        var base = weightsName
        if base.hasSuffix(".safetensors") {
            base.removeLast(".safetensors".count)
        }
        let single = directory.appendingPathComponent(base + ".safetensors")
        let index = directory.appendingPathComponent(base + ".safetensors.index.json")
        let fileManager = FileManager.default

        if fileManager.fileExists(atPath: single.path) {
            let file = try SafeTensorsFile(url: single)
            indexURL = nil
            files = [file]
            names = file.names
            var location: [String: SafeTensorsFile] = [:]
            for name in file.names { location[name] = file }
            self.location = location
            return
        }
        guard fileManager.fileExists(atPath: index.path) else {
            throw SafeTensorsError(.missingShard, path: directory.path,
                                   "neither \(single.lastPathComponent) nor \(index.lastPathComponent) exists")
        }

        indexURL = index
        let weightMap = try Self.readWeightMap(index)
        var tensorsByShard: [String: [String]] = [:]
        for (tensor, shard) in weightMap {
            tensorsByShard[shard, default: []].append(tensor)
        }

        var opened: [SafeTensorsFile] = []
        var location: [String: SafeTensorsFile] = [:]
        for shard in tensorsByShard.keys.sorted() {
            let tensors = (tensorsByShard[shard] ?? []).sorted()
            let shardURL = directory.appendingPathComponent(shard)
            guard fileManager.fileExists(atPath: shardURL.path) else {
                let example = tensors.first ?? "?"
                throw SafeTensorsError(.missingShard, path: index.path, tensor: example,
                                       "shard '\(shard)' (holding \(tensors.count) tensors) does not exist")
            }
            let file = try SafeTensorsFile(url: shardURL)
            for tensor in tensors {
                guard file.contains(tensor) else {
                    throw SafeTensorsError(.shardLacksTensor, path: file.path, tensor: tensor,
                                           "\(index.lastPathComponent) maps the tensor to this shard, "
                                           + "but the shard does not contain it")
                }
                location[tensor] = file
            }
            opened.append(file)
        }
        files = opened
        names = location.keys.sorted()
        self.location = location
    }

    /// Reads and checks `weight_map` from an index file.
    private static func readWeightMap(_ index: URL) throws -> [String: String] {
        let path = index.path
        let data: Data
        do {
            data = try Data(contentsOf: index)
        } catch {
            throw SafeTensorsError(.io, path: path, "cannot read: \(error.localizedDescription)")
        }
        let root: [String: JSONValue]
        switch JSONValue.parse(data) {
        case .failure(let failure):
            throw SafeTensorsError(.invalidIndex, path: path, "not valid JSON: \(failure.reason)")
        case .success(.object(let object)):
            root = object
        case .success(let other):
            throw SafeTensorsError(.invalidIndex, path: path, "must be a JSON object, found \(other.kindName)")
        }
        guard case .object(let entries)? = root["weight_map"] else {
            throw SafeTensorsError(.invalidIndex, path: path, "missing 'weight_map' object")
        }
        var map: [String: String] = [:]
        for (tensor, value) in entries {
            guard case .string(let shard) = value else {
                throw SafeTensorsError(.invalidIndex, path: path, tensor: tensor,
                                       "weight_map value must be a file name, found \(value.kindName)")
            }
            let components = shard.split(separator: "/", omittingEmptySubsequences: false)
            if shard.isEmpty || shard.hasPrefix("/") || components.contains("..") {
                throw SafeTensorsError(.invalidIndex, path: path, tensor: tensor,
                                       "shard '\(shard)' must be a relative path inside the directory")
            }
            map[tensor] = shard
        }
        return map
    }

    /// Whether the checkpoint holds a tensor called `name`.
    public func contains(_ name: String) -> Bool {
        location[name] != nil
    }

    /// The file that holds tensor `name`.
    ///
    /// - Throws: ``SafeTensorsError`` `.missingTensor` naming the checkpoint's file or index.
    public func file(containing name: String) throws -> SafeTensorsFile {
        guard let file = location[name] else {
            let path = indexURL?.path ?? files.first?.path ?? directory.path
            throw SafeTensorsError(.missingTensor, path: path, tensor: name,
                                   "no such tensor (the checkpoint has \(names.count) tensors)")
        }
        return file
    }

    /// Dtype, shape and byte range of tensor `name`. See ``SafeTensorsFile/info(_:)``.
    public func info(_ name: String) throws -> SafeTensorInfo {
        try file(containing: name).info(name)
    }

    /// The values of tensor `name` as Float32. See ``SafeTensorsFile/floats(_:)``.
    public func floats(_ name: String) throws -> [Float] {
        try file(containing: name).floats(name)
    }

    /// Float32 view of tensor `name`. See ``SafeTensorsFile/withFloatBuffer(_:_:)``.
    public func withFloatBuffer<R>(_ name: String, _ body: (UnsafeBufferPointer<Float>) throws -> R) throws -> R {
        try file(containing: name).withFloatBuffer(name, body)
    }

    /// The values of integer tensor `name` as Int64. See ``SafeTensorsFile/int64s(_:)``.
    public func int64s(_ name: String) throws -> [Int64] {
        try file(containing: name).int64s(name)
    }
}
