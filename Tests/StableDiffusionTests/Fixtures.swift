import Foundation
import SafeTensors
import StableDiffusion
import TensorEngine
import XCTest

/// Paths of the shared data next to the repository.
enum Fixtures {
    static let repoRoot = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
    static let shared = repoRoot.deletingLastPathComponent().appendingPathComponent("shared")
    static let modelA = shared.appendingPathComponent("models/shapesworld-a")
    static let pastel = shared.appendingPathComponent("models/shapesworld-a-pastel")
    static let golden = shared.appendingPathComponent("fixtures/golden-shapesworld-a.safetensors")

    /// The shapesworld-a model, loaded once for all tests.
    nonisolated(unsafe) static let model: StableDiffusionModel = {
        do { return try StableDiffusionModel(directory: modelA, loadVAEEncoder: true) } catch { fatalError("loading \(modelA.path): \(error)") }
    }()

    nonisolated(unsafe) static let goldenFile: SafeTensorsFile = {
        do { return try SafeTensorsFile(url: golden) } catch { fatalError("opening \(golden.path): \(error)") }
    }()

    /// A golden float tensor.
    static func tensor(_ name: String) throws -> Tensor {
        let info = try goldenFile.info(name)
        return Tensor(shape: info.shape, values: try goldenFile.floats(name))
    }

    /// A golden int64 tensor.
    static func ints(_ name: String) throws -> [Int64] { try goldenFile.int64s(name) }
}

/// ||a - b|| / ||b|| over all elements.
func relativeError(_ a: Tensor, _ b: Tensor) -> Double {
    precondition(a.count == b.count, "\(a.shape) vs \(b.shape)")
    var d = 0.0, n = 0.0
    let x = a.scalars, y = b.scalars
    for i in 0..<x.count { let e = Double(x[i]) - Double(y[i]); d += e * e; n += Double(y[i]) * Double(y[i]) }
    return (d / max(n, 1e-30)).squareRoot()
}
