import Foundation
import Membranes
import SafeTensors
import StableDiffusion
import TestSupport
import XCTest

/// Inputs `membrane merge` refuses, each with its own message and nothing written.
extension MembraneMergeTests {
    func expectRefusal(_ files: [URL], weights: [Float] = [], model: URL = Fixtures.modelA, out: URL, _ parts: [String],
                       file: StaticString = #filePath, line: UInt = #line) throws {
        let existed = FileManager.default.fileExists(atPath: out.path)
        let components = try ModelComponents.open(try ModelSource(url: model, modelConfig: model.pathExtension.isEmpty ? nil : Fixtures.modelA))
        XCTAssertThrowsError(try MembraneMerge.write(components, membranes: files, weights: weights, to: out), file: file, line: line) { error in
            let text = "\(error)"
            for part in parts { XCTAssertTrue(text.contains(part), "'\(part)' missing from: \(text)", file: file, line: line) }
        }
        if !existed { XCTAssertFalse(FileManager.default.fileExists(atPath: out.path), "nothing is written", file: file, line: line) }
    }

    func testMembraneForAnotherArchitectureIsRefused() throws {
        let other = dir.appendingPathComponent("other.safetensors")
        let key = "lora_unet_mid_block_attentions_0_transformer_blocks_0_attn2_to_k"
        var writer = SafeTensorsWriter(metadata: ["prompts": "x"])
        try writer.add(key + ".lora_down.weight", floats: Array(repeating: 0.1, count: 768), shape: [1, 768])
        try writer.add(key + ".lora_up.weight", floats: Array(repeating: 0.1, count: 320), shape: [320, 1])
        try writer.write(to: other)
        try expectRefusal([other], out: dir.appendingPathComponent("out"), [other.path, key, "another architecture"])
    }

    func testMissingMembraneFileIsNamed() throws {
        let missing = dir.appendingPathComponent("missing.safetensors")
        try expectRefusal([missing], out: dir.appendingPathComponent("out"), [missing.path, "does not exist"])
    }

    func testWeightCountMustMatchTheMembranes() throws {
        let a = try membraneFile("a.safetensors", seed: 1, alpha: 1), b = try membraneFile("b.safetensors", seed: 2, alpha: 1)
        try expectRefusal([a, b, a], weights: [1, 0.5], out: dir.appendingPathComponent("out"), ["2 --weight values for 3 --membrane files"])
        XCTAssertEqual(try MembraneMerge.weights([], membranes: 2), [1, 1])
        XCTAssertEqual(try MembraneMerge.weights([0.5], membranes: 3), [0.5, 0.5, 0.5])
        XCTAssertEqual(try MembraneMerge.weights([0.5, 2], membranes: 2), [0.5, 2])
        XCTAssertThrowsError(try MembraneMerge.weights([], membranes: 0)) { XCTAssertTrue("\($0)".contains("at least one --membrane"), "\($0)") }
    }

    func testNonFiniteWeightsAreRefused() throws {
        let a = try membraneFile("a.safetensors", seed: 1, alpha: 1)
        for bad in [Float.nan, .infinity, -.infinity] {
            try expectRefusal([a], weights: [bad], out: dir.appendingPathComponent("out"), ["--weight \(bad) is not a finite number"])
        }
    }

    func testExistingOutputIsRefusedAndLeftAlone() throws {
        let a = try membraneFile("a.safetensors", seed: 1, alpha: 1)
        let folder = dir.appendingPathComponent("existing")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        try expectRefusal([a], out: folder, [folder.path, "already exists"])
        XCTAssertEqual(try FileManager.default.contentsOfDirectory(atPath: folder.path), [])
        let single = dir.appendingPathComponent("existing.safetensors")
        try Data("keep".utf8).write(to: single)
        try expectRefusal([a], model: Self.singleFile, out: single, [single.path, "already exists"])
        XCTAssertEqual(try Data(contentsOf: single), Data("keep".utf8))
    }

    func testOutputEqualToTheInputIsRefused() throws {
        let a = try membraneFile("a.safetensors", seed: 1, alpha: 1)
        let copy = dir.appendingPathComponent("in.safetensors")
        try FileManager.default.copyItem(at: Self.singleFile, to: copy)
        let before = try Data(contentsOf: copy)
        try expectRefusal([a], model: copy, out: copy, ["refusing to overwrite the input model"])
        XCTAssertEqual(try Data(contentsOf: copy), before)
        try expectRefusal([a], model: Fixtures.modelA, out: Fixtures.modelA, ["refusing to overwrite the input model"])
    }
}
