import Foundation
import SafeTensors
import XCTest
@testable import CLIP

/// Broken CLIP folders: each refused with an error naming the file and the problem.
final class CLIPLoadErrorTests: XCTestCase {
    var scratch: URL!

    override func setUpWithError() throws {
        scratch = FileManager.default.temporaryDirectory.appendingPathComponent("membrane-clip-\(UUID().uuidString)")
        try FileManager.default.copyItem(at: CLIPFixtures.quickGelu, to: scratch)
    }

    override func tearDownWithError() throws { try? FileManager.default.removeItem(at: scratch) }

    /// A fresh copy of the fixture in place of the scratch folder.
    func reset() throws {
        try tearDownWithError()
        try setUpWithError()
    }

    /// Rewrites JSON `file` of the scratch folder with `edit` applied to its object.
    func editJSON(_ file: String, _ edit: (inout [String: Any]) -> Void) throws {
        let url = scratch.appendingPathComponent(file)
        var object = try XCTUnwrap(try JSONSerialization.jsonObject(with: Data(contentsOf: url)) as? [String: Any])
        edit(&object)
        try JSONSerialization.data(withJSONObject: object).write(to: url)
    }

    func editSection(_ section: String, _ key: String, _ value: Any) throws {
        try editJSON("config.json") { root in
            var s = root[section] as? [String: Any] ?? [:]
            s[key] = value
            root[section] = s
        }
    }

    /// Loading fails with an error naming `file` and containing every one of `mentions`.
    func assertRefused(_ file: String, _ mentions: [String], line: UInt = #line) {
        XCTAssertThrowsError(try CLIPModel.load(folder: scratch), line: line) { error in
            let text = "\(error)"
            XCTAssertTrue(text.contains(scratch.appendingPathComponent(file).path), "file not named: \(text)", line: line)
            for m in mentions { XCTAssertTrue(text.contains(m), "'\(m)' not in: \(text)", line: line) }
        }
    }

    func testMissingFilesAreNamed() throws {
        for file in ["config.json", "preprocessor_config.json", "vocab.json", "merges.txt"] {
            try reset()
            try FileManager.default.removeItem(at: scratch.appendingPathComponent(file))
            assertRefused(file, [])
        }
        try reset()
        try FileManager.default.removeItem(at: scratch.appendingPathComponent("model.safetensors"))
        XCTAssertThrowsError(try CLIPModel.load(folder: scratch)) { error in
            XCTAssertTrue("\(error)".contains(scratch.path) && "\(error)".contains("model.safetensors"), "\(error)")
        }
    }

    func testNonCLIPConfigsAreRefused() throws {
        let unet = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
            .appendingPathComponent("../../../shared/models/shapesworld-a/unet/config.json")
        try FileManager.default.removeItem(at: scratch.appendingPathComponent("config.json"))
        try FileManager.default.copyItem(at: unet, to: scratch.appendingPathComponent("config.json"))
        assertRefused("config.json", ["text_config", "CLIPModel"])
        try editJSON("config.json") { $0 = ["model_type": "clip_vision_model", "hidden_size": 40] }
        assertRefused("config.json", ["model_type", "clip_vision_model"])
        try Data("[1, 2]".utf8).write(to: scratch.appendingPathComponent("config.json"))
        assertRefused("config.json", ["not a JSON object"])
    }

    func testBadConfigValuesNameTheSection() throws {
        try editSection("vision_config", "hidden_act", "gelu_new")
        assertRefused("config.json", ["vision_config", "gelu_new", "quick_gelu"])
        try reset()
        try editSection("vision_config", "num_attention_heads", 7)
        assertRefused("config.json", ["vision_config", "num_attention_heads"])
        try reset()
        try editSection("text_config", "eos_token_id", [1, 2])
        assertRefused("config.json", ["eos_token_id"])
        try reset()
        try editSection("text_config", "eos_token_id", 5)
        assertRefused("config.json", ["eos_token_id", "<|endoftext|>"])
        try reset()
        try editSection("text_config", "vocab_size", 100)
        assertRefused("config.json", ["vocab_size", "vocab.json"])
    }

    /// Weights and config disagreeing: a tensor missing, of another shape, or left unused.
    func testWeightsThatDoNotFitTheConfig() throws {
        try editSection("vision_config", "num_hidden_layers", 3)
        assertRefused("model.safetensors", ["vision_model.encoder.layers.2.layer_norm1.weight", "missing"])
        try reset()
        try editSection("text_config", "intermediate_size", 65)
        assertRefused("model.safetensors", ["text_model.encoder.layers.0.mlp.fc1.weight", "[64, 32]", "[65, 32]"])
        try reset()
        try editJSON("config.json") { $0["projection_dim"] = 25 }
        assertRefused("model.safetensors", ["text_projection.weight", "[24, 32]"])
        try reset()
        try editSection("text_config", "num_hidden_layers", 1)
        assertRefused("model.safetensors", ["text_model.encoder.layers.1", "not used"])
        try reset()
        let url = scratch.appendingPathComponent("model.safetensors")
        let file = try SafeTensorsFile(url: url)
        var writer = SafeTensorsWriter()
        for name in file.names where name != "vision_model.pre_layrnorm.bias" {
            try writer.add(name, floats: try file.floats(name), shape: try file.info(name).shape)
        }
        try writer.write(to: url)
        assertRefused("model.safetensors", ["vision_model.pre_layrnorm.bias", "missing"])
    }

    func testBadPreprocessorValues() throws {
        let cases: [(String, Any, [String])] = [
            ("crop_size", 30, ["crop_size", "30x30", "32x32"]),
            ("crop_size", ["height": 32], ["crop_size"]),
            ("size", ["longest_edge": 32], ["size", "longest_edge"]),
            ("size", 0, ["size.shortest_edge", "0"]),
            ("resample", 0, ["resample: 0"]),
            ("image_std", [0.2, 0, 0.3], ["image_std", "0"]),
            ("image_mean", [0.5, 0.5], ["image_mean", "3"]),
            ("rescale_factor", -1, ["rescale_factor"]),
            ("do_resize", "yes", ["do_resize"]),
        ]
        for (key, value, mentions) in cases {
            try reset()
            try editJSON("preprocessor_config.json") { $0[key] = value }
            assertRefused("preprocessor_config.json", mentions)
        }
    }

    /// Without a crop, an image whose resize is not the tower's square size is refused at
    /// embedding time, not fed to the tower.
    func testUncroppedImageOfWrongSizeIsRefused() throws {
        try editJSON("preprocessor_config.json") { $0["do_center_crop"] = false }
        let model = try CLIPModel.load(folder: scratch)
        let g = try CLIPFixtures.goldens("quickgelu")
        XCTAssertThrowsError(try model.imageEmbeddings([try CLIPFixtures.image(g, "image.wide")])) { error in
            XCTAssertEqual(error as? CLIPError, .imageSize(index: 0, height: 32, width: 38, expected: 32))
        }
        XCTAssertEqual(try model.imageEmbeddings([try CLIPFixtures.image(g, "image.sized")]).count, 1)
    }
}
