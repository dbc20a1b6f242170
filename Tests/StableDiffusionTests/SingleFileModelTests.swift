import Foundation
import SafeTensors
import StableDiffusion
import TensorEngine
import TestSupport
import XCTest

/// Single LDM checkpoints read as the diffusers folder they were made from.
final class SingleFileModelTests: XCTestCase {
    static let singleFile = Fixtures.shared.appendingPathComponent("models/single-file/shapesworld-a.safetensors")
    static let yaml = Fixtures.shared.appendingPathComponent("models/single-file/shapesworld-a.yaml")
    var scratch: URL!

    override func setUpWithError() throws {
        scratch = FileManager.default.temporaryDirectory.appendingPathComponent("membrane-single-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: scratch, withIntermediateDirectories: true)
    }

    override func tearDownWithError() throws { try? FileManager.default.removeItem(at: scratch) }

    /// Writes a copy of the shared single file with each tensor passed through `change`, which
    /// returns the tensors to write in its place (none drops it).
    func variant(_ name: String, dtype: SafeTensorsDType = .f32,
                 _ change: (String, [Float], [Int]) -> [(String, [Float], [Int])] = { [($0, $1, $2)] }) throws -> URL {
        let original = try SafeTensorsFile(url: Self.singleFile)
        var writer = SafeTensorsWriter(metadata: original.metadata)
        for key in original.names {
            for (k, v, s) in change(key, try original.floats(key), try original.info(key).shape) {
                try writer.add(k, floats: v, shape: s, as: dtype)
            }
        }
        let url = scratch.appendingPathComponent(name)
        try writer.write(to: url)
        return url
    }

    func load(_ url: URL, ema: Bool = false, yaml: URL? = SingleFileModelTests.yaml) throws -> StableDiffusionModel {
        try StableDiffusionModel(source: try ModelSource(url: url, originalConfig: yaml, modelConfig: Fixtures.modelA, useEMA: ema))
    }

    func unetOutput(_ m: StableDiffusionModel) throws -> Tensor {
        let x = try Fixtures.tensor("unet.x"), ctx = try Fixtures.tensor("unet.ctx")
        return m.unet(x, timesteps: try Fixtures.ints("unet.t").map(Float.init), context: ctx)
    }

    func pictures(_ m: StableDiffusionModel) throws -> [Float] {
        var request = GenerationRequest(prompts: ["a red circle"])
        request.steps = 3
        request.guidance = 5
        return try m.generate(request).flatMap(\.scalars)
    }

    func testSingleFileEqualsFolderBitForBit() throws {
        // The YAML beside the file is found by its stem; the tokenizer comes from --model-config.
        let single = try StableDiffusionModel(source: try ModelSource(url: Self.singleFile, modelConfig: Fixtures.modelA))
        let folder = Fixtures.model
        let prompts = ["a red circle", "", "a photo of a striped blue square on a gray background"]
        XCTAssertEqual(single.encode(prompts: prompts).scalars, folder.encode(prompts: prompts).scalars)
        XCTAssertEqual(try unetOutput(single).scalars, try unetOutput(folder).scalars)
        XCTAssertEqual(try pictures(single), try pictures(folder))
        XCTAssertEqual(single.unetFingerprint, folder.unetFingerprint)
        XCTAssertEqual(single.textEncoderFingerprint, folder.textEncoderFingerprint)
        XCTAssertEqual(single.parameterCounts, folder.parameterCounts)
        XCTAssertEqual(single.vae.config.scalingFactor, folder.vae.config.scalingFactor)
        XCTAssertEqual(single.scheduler.alphasCumprod, folder.scheduler.alphasCumprod)
        XCTAssertEqual(single.unet.adapterSites.map(\.path), folder.unet.adapterSites.map(\.path))
    }

    func testHalfPrecisionSingleFilesMatchTheFolder() throws {
        let folder = Fixtures.model
        let reference = try unetOutput(folder)
        // bfloat16 keeps 8 mantissa bits: as for bf16 folders, errors of a dozen layers add up to ~1%.
        for (dtype, tolerance) in [(SafeTensorsDType.f16, 1e-3), (.bf16, 2e-2)] {
            let m = try load(try variant("half-\(dtype.rawValue).safetensors", dtype: dtype))
            XCTAssertLessThan(relativeError(try unetOutput(m), reference), tolerance, "\(dtype) UNet")
            XCTAssertLessThan(relativeError(m.encode(prompts: ["a red circle"]), folder.encode(prompts: ["a red circle"])), tolerance, "\(dtype) text")
            XCTAssertNotEqual(m.unetFingerprint, folder.unetFingerprint, "the fingerprint covers dtypes and bytes")
        }
    }

    func testTextEncoderWithoutTextModelPrefix() throws {
        let url = try variant("no-text-model.safetensors") { k, v, s in
            [(k.replacingOccurrences(of: "cond_stage_model.transformer.text_model.", with: "cond_stage_model.transformer."), v, s)]
        }
        let m = try load(url)
        XCTAssertEqual(m.encode(prompts: ["a red circle"]).scalars, Fixtures.model.encode(prompts: ["a red circle"]).scalars)
        XCTAssertEqual(m.textEncoderFingerprint, Fixtures.model.textEncoderFingerprint)
    }

    func testEMAWeightsOnlyWithTheFlag() throws {
        // EMA copies of every UNet tensor, with conv_out's bias shifted by 0.5: the EMA model's
        // output is the folder's plus 0.5 everywhere.
        let url = try variant("ema.safetensors") { k, v, s in
            guard k.hasPrefix("model.diffusion_model.") else { return [(k, v, s)] }
            let shifted = k == "model.diffusion_model.out.2.bias" ? v.map { $0 + 0.5 } : v
            return [(k, v, s), (SingleFileModel.emaKey(k), shifted, s)]
        }
        XCTAssertEqual(SingleFileModel.emaKey("model.diffusion_model.input_blocks.0.0.weight"), "model_ema.diffusion_modelinput_blocks00weight")
        let reference = try unetOutput(Fixtures.model).scalars
        let plain = try load(url)
        XCTAssertEqual(try unetOutput(plain).scalars, reference)
        XCTAssertTrue(plain.notes.contains { $0.contains("--ema") }, "\(plain.notes)")
        let ema = try unetOutput(try load(url, ema: true)).scalars
        let worst = zip(ema, reference).map { abs($0 - $1 - 0.5) }.max() ?? 1
        XCTAssertLessThan(worst, 1e-5)
        XCTAssertThrowsError(try load(Self.singleFile, ema: true)) { XCTAssertTrue("\($0)".contains("no EMA weights"), "\($0)") }
    }

    func testOtherKeysAreIgnoredWithANote() throws {
        let url = try variant("extra.safetensors") { k, v, s in
            k == "model.diffusion_model.out.2.bias" ? [(k, v, s), ("alphas_cumprod", [1, 0.5], [2])] : [(k, v, s)]
        }
        let m = try load(url)
        XCTAssertTrue(m.notes.contains { $0.contains("alphas_cumprod") }, "\(m.notes)")
    }

    func expectError(_ make: () throws -> Any, _ parts: [String], file: StaticString = #filePath, line: UInt = #line) {
        XCTAssertThrowsError(try make(), file: file, line: line) { error in
            for part in parts { XCTAssertTrue("\(error)".contains(part), "'\(error)' lacks '\(part)'", file: file, line: line) }
        }
    }

    func testMissingKeyIsNamed() throws {
        let url = try variant("missing.safetensors") { k, v, s in k == "model.diffusion_model.out.2.bias" ? [] : [(k, v, s)] }
        expectError({ try self.load(url) }, ["missing.safetensors", "model.diffusion_model.out.2.bias", "missing"])
    }

    func testWrongShapeNamesFileKeyAndShapes() throws {
        let url = try variant("shape.safetensors") { k, v, s in
            k == "model.diffusion_model.input_blocks.0.0.bias" ? [(k, v + [0], [s[0] + 1])] : [(k, v, s)]
        }
        expectError({ try self.load(url) }, ["shape.safetensors", "model.diffusion_model.input_blocks.0.0.bias", "[33]", "[32]"])
    }

    func testUnknownExtensionIsRefused() throws {
        let url = scratch.appendingPathComponent("model.bin")
        try Data([0]).write(to: url)
        expectError({ try ModelSource(url: url) }, ["model.bin", ".bin", "not supported"])
    }

    func testYAMLThatDisagreesWithTheWeights() throws {
        let text = try String(contentsOf: Self.yaml, encoding: .utf8).replacingOccurrences(of: "model_channels: 32", with: "model_channels: 64")
        let wrong = scratch.appendingPathComponent("wrong.yaml")
        try text.write(to: wrong, atomically: true, encoding: .utf8)
        expectError({ try self.load(Self.singleFile, yaml: wrong) }, ["shapesworld-a.safetensors", "model.diffusion_model.time_embed.0.weight", "[128, 32]", "[256, 64]", "wrong.yaml"])
        // Fewer levels than the weights have: keys with no place in the architecture.
        let short = text.replacingOccurrences(of: "channel_mult: [1, 2, 2]", with: "channel_mult: [2, 2]")
            .replacingOccurrences(of: "model_channels: 64", with: "model_channels: 32")
        try short.write(to: wrong, atomically: true, encoding: .utf8)
        expectError({ try self.load(Self.singleFile, yaml: wrong) }, ["shapesworld-a.safetensors", "model.diffusion_model.", "disagree"])
    }

    func testDefaultsAreCheckedAgainstTheWeights() throws {
        // Without a YAML or --model-config the file is read as SD v1.5, which it is not.
        let url = scratch.appendingPathComponent("alone.safetensors")
        try FileManager.default.copyItem(at: Self.singleFile, to: url)
        expectError({ try StableDiffusionModel(source: try ModelSource(url: url)) }, ["alone.safetensors", "SD v1.5 defaults", "shape"])
    }

    func testSingleFileOptionsAreRefusedForFolders() {
        expectError({ try ModelSource(url: Fixtures.modelA, useEMA: true) }, ["--ema", "folder"])
    }

    func testKeyMapRoundTripsEveryTensor() throws {
        let file = try SafeTensorsFile(url: Self.singleFile)
        let map = LDMKeyMap.unet(Fixtures.model.unet.config)
        for key in file.names where key.hasPrefix(SingleFileModel.unetPrefix) {
            let ldm = String(key.dropFirst(SingleFileModel.unetPrefix.count))
            let d = try XCTUnwrap(map.diffusers(ldm), key)
            XCTAssertEqual(map.ldm(d.name)?.name, ldm)
        }
        XCTAssertEqual(map.ldmModule("down_blocks.0.attentions.1.transformer_blocks.0.attn1.to_q"), "input_blocks.2.1.transformer_blocks.0.attn1.to_q")
        XCTAssertEqual(map.ldmModule("up_blocks.1.attentions.2.proj_out"), "output_blocks.5.1.proj_out")
        XCTAssertEqual(map.ldmModule("mid_block.attentions.0.proj_in"), "middle_block.1.proj_in")
    }
}
