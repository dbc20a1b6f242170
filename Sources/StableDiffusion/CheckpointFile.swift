import Foundation
import SafeTensors
import TorchCheckpoint

/// One file of named tensors holding a whole single-file model: a `.safetensors` file, or a
/// PyTorch `.ckpt` zip archive read by the restricted unpickler of `TorchCheckpoint` (which
/// rebuilds tensors and dictionaries only and never runs anything from the file).
public protocol CheckpointFile: AnyObject {
    /// The file, for errors.
    var path: String { get }
    /// Every tensor name, sorted.
    var names: [String] { get }
    func contains(_ name: String) -> Bool
    /// Stored dtype and shape of tensor `name`.
    func tensorLayout(_ name: String) throws -> TensorLayout
    /// The elements of tensor `name` widened to float32.
    func floats(_ name: String) throws -> [Float]
    /// Calls `body` with the stored little-endian bytes of tensor `name`.
    func withRawBytes<R>(_ name: String, _ body: (UnsafeRawBufferPointer) throws -> R) throws -> R
}

extension SafeTensorsFile: CheckpointFile {
    public func tensorLayout(_ name: String) throws -> TensorLayout {
        let info = try info(name)
        return TensorLayout(dtype: info.dtype, shape: info.shape)
    }
}

extension TorchCheckpointFile: CheckpointFile {
    public func tensorLayout(_ name: String) throws -> TensorLayout {
        let info = try info(name)
        return TensorLayout(dtype: info.dtype, shape: info.shape)
    }
}

/// Opens a single-file checkpoint by its extension (`.safetensors` or `.ckpt`).
func openCheckpointFile(_ url: URL) throws -> CheckpointFile {
    switch url.pathExtension.lowercased() {
    case "ckpt": return try TorchCheckpointFile(url: url)
    default: return try SafeTensorsFile(url: url)
    }
}
