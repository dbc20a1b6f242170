import Foundation
import SafeTensors
import StableDiffusion
import TensorEngine

/// Paths of the shared data next to the repository, and the models and golden tensors loaded
/// once for all tests. Used by test targets only.
public enum Fixtures {
    public static let repoRoot = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
    public static let shared = repoRoot.deletingLastPathComponent().appendingPathComponent("shared")
    public static let modelA = shared.appendingPathComponent("models/shapesworld-a")
    public static let pastel = shared.appendingPathComponent("models/shapesworld-a-pastel")
    /// The first shared model whose folder holds a `SYNONYMS.json` (words its text encoder also
    /// understands as its concepts), found by that file rather than by name.
    public static let synonymsModel: URL = {
        let models = shared.appendingPathComponent("models")
        let folders = (try? FileManager.default.contentsOfDirectory(at: models, includingPropertiesForKeys: nil)) ?? []
        return folders.sorted { $0.path < $1.path }.first {
            FileManager.default.fileExists(atPath: $0.appendingPathComponent("SYNONYMS.json").path)
        } ?? models.appendingPathComponent("no-model-with-SYNONYMS.json")
    }()

    /// The synonyms model's `SYNONYMS.json`: concept word -> other words for it.
    public static func synonyms() throws -> [String: [String]] {
        try JSONDecoder().decode([String: [String]].self, from: Data(contentsOf: synonymsModel.appendingPathComponent("SYNONYMS.json")))
    }
    public static let embeddedModel = repoRoot.appendingPathComponent("models/shapesworld-a")
    public static let golden = shared.appendingPathComponent("fixtures/golden-shapesworld-a.safetensors")

    /// The shapesworld-a model, loaded once for all tests.
    public nonisolated(unsafe) static let model: StableDiffusionModel = {
        do { return try StableDiffusionModel(directory: modelA, loadVAEEncoder: true) } catch { fatalError("loading \(modelA.path): \(error)") }
    }()

    public nonisolated(unsafe) static let goldenFile: SafeTensorsFile = {
        do { return try SafeTensorsFile(url: golden) } catch { fatalError("opening \(golden.path): \(error)") }
    }()

    /// A golden float tensor.
    public static func tensor(_ name: String) throws -> Tensor {
        let info = try goldenFile.info(name)
        return Tensor(shape: info.shape, values: try goldenFile.floats(name))
    }

    /// A golden int64 tensor.
    public static func ints(_ name: String) throws -> [Int64] { try goldenFile.int64s(name) }
}

/// ||a - b|| / ||b|| over all elements.
public func relativeError(_ a: Tensor, _ b: Tensor) -> Double {
    precondition(a.count == b.count, "\(a.shape) vs \(b.shape)")
    var d = 0.0, n = 0.0
    let x = a.scalars, y = b.scalars
    for i in 0..<x.count { let e = Double(x[i]) - Double(y[i]); d += e * e; n += Double(y[i]) * Double(y[i]) }
    return (d / max(n, 1e-30)).squareRoot()
}

extension Fixtures {
    /// Sets one UNet weight (conv_in's first bias) of the model folder `folder` to NaN, in place
    /// and in the same layout: a model whose training goes non-finite.
    public static func poisonUNet(in folder: URL) throws {
        let url = folder.appendingPathComponent("unet/diffusion_pytorch_model.safetensors")
        let file = try SafeTensorsFile(url: url)
        var writer = SafeTensorsWriter(metadata: file.metadata)
        for name in file.names {
            var values = try file.floats(name)
            if name == "conv_in.bias" { values[0] = .nan }
            try writer.add(name, floats: values, shape: try file.info(name).shape)
        }
        try writer.write(to: url)
    }
}
