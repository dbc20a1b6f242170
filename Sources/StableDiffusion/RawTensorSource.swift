import Foundation
import SafeTensors

/// The stored element type and shape of one tensor.
public struct TensorLayout: Equatable, Sendable {
    public var dtype: SafeTensorsDType
    public var shape: [Int]

    public init(dtype: SafeTensorsDType, shape: [Int]) {
        self.dtype = dtype
        self.shape = shape
    }
}

/// A ``TensorSource`` that also lists its tensors and hands out their stored bytes unconverted:
/// what fingerprints, `membrane convert` and `membrane merge` read. Names are diffusers names
/// whatever the file layout.
public protocol RawTensorSource: TensorSource {
    /// Every tensor of the component, in diffusers names, sorted.
    var tensorNames: [String] { get }
    /// The tensors layers have read so far (what the model uses).
    var requestedNames: Set<String> { get }
    /// Dtype and shape of tensor `name` as the diffusers layout stores it.
    func layout(of name: String) throws -> TensorLayout
    /// Calls `body` with the stored little-endian bytes of tensor `name`.
    func withRawBytes<R>(_ name: String, _ body: (UnsafeRawBufferPointer) throws -> R) throws -> R
}

/// A ``TensorSource`` over a safetensors checkpoint (one file or shards with an index).
public final class CheckpointSource: RawTensorSource {
    let checkpoint: SafeTensorsCheckpoint
    public let fileDescription: String
    public private(set) var requestedNames: Set<String> = []

    /// Opens `<directory>/<name>.safetensors` or its sharded `.index.json`.
    public init(directory: URL, weightsName: String) throws {
        checkpoint = try SafeTensorsCheckpoint(directory: directory, weightsName: weightsName)
        fileDescription = directory.appendingPathComponent(weightsName + ".safetensors").path
    }

    public func shape(of name: String) -> [Int]? {
        checkpoint.contains(name) ? (try? checkpoint.info(name))?.shape : nil
    }
    public func floats(_ name: String) throws -> [Float] {
        requestedNames.insert(name)
        return try checkpoint.floats(name)
    }
    public var tensorNames: [String] { checkpoint.names }
    public func layout(of name: String) throws -> TensorLayout {
        let info = try checkpoint.info(name)
        return TensorLayout(dtype: info.dtype, shape: info.shape)
    }
    public func withRawBytes<R>(_ name: String, _ body: (UnsafeRawBufferPointer) throws -> R) throws -> R {
        try checkpoint.file(containing: name).withRawBytes(name, body)
    }
    /// Number of scalar parameters in the checkpoint.
    public var parameterCount: Int { checkpoint.names.reduce(0) { $0 + (shape(of: $1)?.reduce(1, *) ?? 0) } }
    /// The files the checkpoint reads.
    public var files: [URL] { checkpoint.files.map(\.url) }
}

extension RawTensorSource {
    /// Number of scalar parameters of the component.
    public var scalarCount: Int { tensorNames.reduce(0) { $0 + ((try? layout(of: $1))?.shape.reduce(1, *) ?? 0) } }
}
