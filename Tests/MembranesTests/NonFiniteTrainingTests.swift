import Foundation
import Membranes
import SafeTensors
import StableDiffusion
import TensorEngine
import TestSupport
import XCTest

/// The training guard: a NaN or infinite loss or gradient stops training before the optimizer
/// step, and no file ever holds a non-finite membrane value.
final class NonFiniteTrainingTests: XCTestCase {
    func trainer() throws -> MembraneTrainer {
        let config = try TrainingConfig(values: ["target": "red", "iterations": 3, "max_denoising_steps": 3, "sampling_batch_size": 1], source: "test")
        return try MembraneTrainer(model: Fixtures.model, config: config)
    }

    func testNonFiniteGradientStopsBeforeTheStep() throws {
        var t = try trainer()
        let before = t.checkpoint()
        var g = ParameterVector(zeros: t.gradientLength)
        g.values[g.count - 1] = .nan
        XCTAssertThrowsError(try t.step(gradient: g, loss: LossParts(erase: 1, anchoring: 0, total: 1))) { error in
            guard let e = error as? NonFiniteTrainingError else { return XCTFail("\(error)") }
            XCTAssertEqual(e.part, .gradient)
            XCTAssertEqual(e.iteration, 1)
            XCTAssertTrue(e.description.contains("iteration 1: the gradient is not finite"), e.description)
            XCTAssertTrue(e.detail.contains(".up["), e.detail)
        }
        g.values[g.count - 1] = -.infinity
        XCTAssertThrowsError(try t.step(gradient: g, loss: LossParts()))
        XCTAssertEqual(t.checkpoint(), before, "nothing of the failed iteration is kept")
        XCTAssertEqual(t.iteration, 0)
    }

    func testNonFiniteLossPartsAreNamed() throws {
        var t = try trainer()
        let g = ParameterVector(zeros: t.gradientLength)
        for (loss, part) in [(LossParts(erase: .nan), NonFiniteTrainingError.Part.eraseLoss),
                             (LossParts(anchoring: .infinity), .anchoringLoss), (LossParts(total: .nan), .totalLoss)] {
            XCTAssertThrowsError(try t.step(gradient: g, loss: loss)) { XCTAssertEqual(($0 as? NonFiniteTrainingError)?.part, part) }
        }
        XCTAssertNoThrow(try t.step(gradient: g, loss: LossParts(erase: 1, anchoring: 1, total: 2)))
        XCTAssertEqual(t.iteration, 1)
    }

    /// A model with one NaN weight: the first iteration stops with the erase loss named.
    func testPoisonedModelStopsTrainingWithAClearError() throws {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("membrane-nan-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: folder) }
        try FileManager.default.copyItem(at: Fixtures.modelA, to: folder)
        try Fixtures.poisonUNet(in: folder)
        let config = try TrainingConfig(values: ["target": "red", "iterations": 2, "max_denoising_steps": 3, "sampling_batch_size": 1], source: "test")
        var t = try MembraneTrainer(model: try StableDiffusionModel(directory: folder), config: config)
        XCTAssertThrowsError(try t.trainIteration()) { error in
            XCTAssertTrue("\(error)".contains("iteration 1: the erase loss is not finite"), "\(error)")
        }
        XCTAssertEqual(t.iteration, 0)
        XCTAssertTrue(t.result().parameters.allSatisfy { $0.scalars.allSatisfy(\.isFinite) })
    }


    func testNonFiniteMembranesAreNeitherWrittenNorRead() throws {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("membrane-nanfile-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: folder) }
        let sites = Fixtures.model.unet.adapterSites
        var membrane = Membrane(sites: sites, targets: ["red"], seed: 1)
        let path = membrane.layers.keys.sorted()[0]
        let layer = try XCTUnwrap(membrane.layers[path])
        var down = layer.down.scalars
        down[0] = .infinity
        membrane.layers[path]?.down = Tensor(shape: layer.down.shape, values: down)
        let refused = folder.appendingPathComponent("bad.safetensors")
        XCTAssertThrowsError(try membrane.write(to: refused)) { XCTAssertTrue("\($0)".contains(Membrane.key(for: path) + ".lora_down.weight"), "\($0)") }
        XCTAssertFalse(FileManager.default.fileExists(atPath: refused.path))
        // A file made elsewhere with a NaN: refused on reading, the tensor named.
        var writer = SafeTensorsWriter(metadata: ["prompts": "red"])
        for (p, l) in Membrane(sites: sites, targets: ["red"], seed: 1).layers {
            var up = l.up.scalars
            if p == path { up[0] = .nan }
            try writer.add(Membrane.key(for: p) + ".lora_down.weight", floats: l.down.scalars, shape: l.down.shape)
            try writer.add(Membrane.key(for: p) + ".lora_up.weight", floats: up, shape: l.up.shape)
        }
        let url = folder.appendingPathComponent("nan.safetensors")
        try writer.write(to: url)
        XCTAssertThrowsError(try Membrane.read(from: url, sites: sites)) { error in
            XCTAssertTrue("\(error)".contains(url.path) && "\(error)".contains(Membrane.key(for: path) + ".lora_up.weight") && "\(error)".contains("nan"), "\(error)")
        }
    }
}
