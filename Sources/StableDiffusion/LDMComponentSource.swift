import Foundation
import SafeTensors

/// One component (UNet, VAE or text encoder) of a single LDM checkpoint, answering in the
/// diffusers names its layers ask for. Each name maps to the key stored in the file; the VAE's
/// attention projections, 1x1 convs in the file, are reported with their diffusers linear shape
/// (same bytes).
public final class LDMComponentSource: RawTensorSource {
    /// A tensor's key in the file and whether it is a 1x1 conv standing for a linear.
    public struct Stored: Equatable, Sendable {
        public var key: String
        public var convLinear: Bool
    }

    let file: CheckpointFile
    /// diffusers name -> stored key.
    public let stored: [String: Stored]
    public let tensorNames: [String]
    public var fileDescription: String { file.path }
    public private(set) var requestedNames: Set<String> = []
    /// The key a diffusers name would have in the file, for errors about absent tensors.
    let expectedKey: (String) -> String?

    init(file: CheckpointFile, stored: [String: Stored], expectedKey: @escaping (String) -> String? = { _ in nil }) {
        self.file = file
        self.stored = stored
        self.expectedKey = expectedKey
        tensorNames = stored.keys.sorted()
    }

    public func storedName(_ name: String) -> String { stored[name]?.key ?? expectedKey(name) ?? name }

    public func shape(of name: String) -> [Int]? { try? layout(of: name).shape }

    public func floats(_ name: String) throws -> [Float] {
        guard let s = stored[name] else { throw ModelError.missingTensor(file: file.path, name: name) }
        requestedNames.insert(name)
        return try file.floats(s.key)
    }

    public func layout(of name: String) throws -> TensorLayout {
        guard let s = stored[name] else { throw ModelError.missingTensor(file: file.path, name: name) }
        let info = try file.tensorLayout(s.key)
        var shape = info.shape
        if s.convLinear && shape.count == 4 && shape[2] == 1 && shape[3] == 1 { shape = [shape[0], shape[1]] }
        return TensorLayout(dtype: info.dtype, shape: shape)
    }

    public func withRawBytes<R>(_ name: String, _ body: (UnsafeRawBufferPointer) throws -> R) throws -> R {
        guard let s = stored[name] else { throw ModelError.missingTensor(file: file.path, name: name) }
        return try file.withRawBytes(s.key, body)
    }
}
