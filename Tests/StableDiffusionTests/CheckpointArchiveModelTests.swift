import Foundation
import StableDiffusion
import TestSupport
import XCTest

/// Single-file models in PyTorch's `.ckpt` zip format, read by the restricted unpickler.
final class CheckpointArchiveModelTests: XCTestCase {
    var scratch: URL!

    override func setUpWithError() throws {
        scratch = FileManager.default.temporaryDirectory.appendingPathComponent("membrane-ckpt-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: scratch, withIntermediateDirectories: true)
    }

    override func tearDownWithError() throws { try? FileManager.default.removeItem(at: scratch) }

    /// The shared single file rewritten as `NAME.ckpt` (`{"state_dict": ..., "global_step": 0}`,
    /// as torch.save lays it out) by a standard-library Python script, with its YAML beside it.
    func checkpointArchive(_ name: String) throws -> URL {
        let script = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("Fixtures/safetensors_to_ckpt.py")
        let out = scratch.appendingPathComponent(name + ".ckpt")
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = ["python3", script.path, SingleFileModelTests.singleFile.path, out.path]
        try process.run()
        process.waitUntilExit()
        XCTAssertEqual(process.terminationStatus, 0, "safetensors_to_ckpt.py failed")
        try FileManager.default.copyItem(at: SingleFileModelTests.yaml, to: scratch.appendingPathComponent(name + ".yaml"))
        return out
    }

    func testCheckpointArchiveEqualsTheSafetensorsFileBitForBit() throws {
        let archive = try StableDiffusionModel(source: try ModelSource(url: try checkpointArchive("shapesworld"), modelConfig: Fixtures.modelA))
        let folder = Fixtures.model
        let prompts = ["a red circle", "", "an orange triangle that is orange"]
        XCTAssertEqual(archive.encode(prompts: prompts).scalars, folder.encode(prompts: prompts).scalars)
        let x = try Fixtures.tensor("unet.x"), ctx = try Fixtures.tensor("unet.ctx"), t = try Fixtures.ints("unet.t").map(Float.init)
        XCTAssertEqual(archive.unet(x, timesteps: t, context: ctx).scalars, folder.unet(x, timesteps: t, context: ctx).scalars)
        XCTAssertEqual(archive.unetFingerprint, folder.unetFingerprint)
        XCTAssertEqual(archive.textEncoderFingerprint, folder.textEncoderFingerprint)
    }

    func testHostileArchiveIsRefusedByTheModelLoaderWithTheGlobalNamed() throws {
        let fixtures = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
            .appendingPathComponent("../TorchCheckpointTests/Fixtures").standardizedFileURL
        let hostile = scratch.appendingPathComponent("model.ckpt")
        try FileManager.default.copyItem(at: fixtures.appendingPathComponent("evil_system.ckpt"), to: hostile)
        XCTAssertThrowsError(try StableDiffusionModel(source: try ModelSource(url: hostile, modelConfig: Fixtures.modelA))) {
            XCTAssertTrue("\($0)".contains("system") && "\($0)".contains(hostile.path), "\($0)")
        }
        let legacy = scratch.appendingPathComponent("legacy.ckpt")
        try FileManager.default.copyItem(at: fixtures.appendingPathComponent("legacy.ckpt"), to: legacy)
        XCTAssertThrowsError(try StableDiffusionModel(source: try ModelSource(url: legacy, modelConfig: Fixtures.modelA))) {
            XCTAssertTrue("\($0)".contains(legacy.path), "\($0)")
        }
    }

    func testConvertWritesSafetensorsOnly() throws {
        let model = try ModelComponents.open(try ModelSource(url: try checkpointArchive("m"), modelConfig: Fixtures.modelA))
        XCTAssertThrowsError(try ModelExport.checkDestination(model, as: .singleFile, to: scratch.appendingPathComponent("out.ckpt"))) {
            XCTAssertTrue("\($0)".contains(".safetensors"), "\($0)")
        }
    }
}
