import Foundation
import XCTest
@testable import SafeTensors

final class SafeTensorsCheckpointTests: XCTestCase {
    var directory: URL!

    override func setUpWithError() throws {
        directory = try makeTemporaryDirectory()
    }

    override func tearDownWithError() throws {
        try? FileManager.default.removeItem(at: directory)
    }

    /// Writes two shards and an index mapping `mapped` (tensor -> shard file).
    func writeShardedModel(mapped overrides: [String: String] = [:], skipSecondShard: Bool = false) throws {
        var first = SafeTensorsWriter(metadata: ["format": "pt"])
        try first.add("down.weight", floats: [1, 2, 3, 4], shape: [2, 2])
        try first.add("down.bias", floats: [0.5], shape: [1])
        try first.write(to: directory.appendingPathComponent("model-00001-of-00002.safetensors"))
        if !skipSecondShard {
            var second = SafeTensorsWriter(metadata: ["format": "pt"])
            try second.add("up.weight", floats: [5, 6], shape: [2, 1], as: .f16)
            try second.add("position_ids", int64s: [0, 1, 2], shape: [1, 3])
            try second.write(to: directory.appendingPathComponent("model-00002-of-00002.safetensors"))
        }
        var weightMap: [String: String] = [
            "down.weight": "model-00001-of-00002.safetensors",
            "down.bias": "model-00001-of-00002.safetensors",
            "up.weight": "model-00002-of-00002.safetensors",
            "position_ids": "model-00002-of-00002.safetensors",
        ]
        for (tensor, shard) in overrides { weightMap[tensor] = shard }
        let index: [String: Any] = ["metadata": ["total_size": 42], "weight_map": weightMap]
        let data = try JSONSerialization.data(withJSONObject: index, options: [.sortedKeys])
        try data.write(to: directory.appendingPathComponent("model.safetensors.index.json"))
    }

    func testShardedRoundTrip() throws {
        try writeShardedModel()
        let checkpoint = try SafeTensorsCheckpoint(directory: directory, weightsName: "model")
        XCTAssertNotNil(checkpoint.indexURL)
        XCTAssertEqual(checkpoint.files.count, 2)
        XCTAssertEqual(checkpoint.names, ["down.bias", "down.weight", "position_ids", "up.weight"])
        XCTAssertEqual(try checkpoint.floats("down.weight"), [1, 2, 3, 4])
        XCTAssertEqual(try checkpoint.floats("up.weight"), [5, 6])
        XCTAssertEqual(try checkpoint.info("up.weight").dtype, .f16)
        XCTAssertEqual(try checkpoint.int64s("position_ids"), [0, 1, 2])
        let sum: Float = try checkpoint.withFloatBuffer("down.weight") { $0.reduce(0, +) }
        XCTAssertEqual(sum, 10)
        XCTAssertEqual(try checkpoint.file(containing: "up.weight").url.lastPathComponent,
                       "model-00002-of-00002.safetensors")
        XCTAssertThrowsError(try checkpoint.floats("missing")) { error in
            XCTAssertEqual((error as? SafeTensorsError)?.kind, .missingTensor)
            XCTAssertTrue("\(error)".contains("model.safetensors.index.json: tensor 'missing'"), "\(error)")
        }
    }

    func testSingleFileIsPreferredAndExtensionIsOptional() throws {
        try writeShardedModel()
        var single = SafeTensorsWriter()
        try single.add("only", floats: [9], shape: [1])
        try single.write(to: directory.appendingPathComponent("model.safetensors"))
        let checkpoint = try SafeTensorsCheckpoint(directory: directory, weightsName: "model.safetensors")
        XCTAssertNil(checkpoint.indexURL)
        XCTAssertEqual(checkpoint.names, ["only"])
        XCTAssertEqual(try checkpoint.floats("only"), [9])
    }

    func testRealUNetThroughCheckpoint() throws {
        let unet = sharedDirectory.appendingPathComponent("models/shapesworld-a/unet")
        let checkpoint = try SafeTensorsCheckpoint(directory: unet, weightsName: "diffusion_pytorch_model")
        XCTAssertEqual(try checkpoint.info("conv_in.weight").shape, [32, 4, 3, 3])
        XCTAssertGreaterThan(checkpoint.names.count, 100)
    }

    func testMissingShard() throws {
        try writeShardedModel(skipSecondShard: true)
        XCTAssertThrowsError(try SafeTensorsCheckpoint(directory: directory, weightsName: "model")) { error in
            let failure = error as? SafeTensorsError
            XCTAssertEqual(failure?.kind, .missingShard)
            let text = "\(error)"
            XCTAssertTrue(text.contains("model.safetensors.index.json"), text)
            XCTAssertTrue(text.contains("model-00002-of-00002.safetensors"), text)
        }
    }

    func testTensorMappedToShardWithoutIt() throws {
        try writeShardedModel(mapped: ["down.bias": "model-00002-of-00002.safetensors"])
        XCTAssertThrowsError(try SafeTensorsCheckpoint(directory: directory, weightsName: "model")) { error in
            XCTAssertEqual((error as? SafeTensorsError)?.kind, .shardLacksTensor)
            let text = "\(error)"
            XCTAssertTrue(text.contains("model-00002-of-00002.safetensors: tensor 'down.bias'"), text)
        }
    }

    func testNeitherFileNorIndex() throws {
        XCTAssertThrowsError(try SafeTensorsCheckpoint(directory: directory, weightsName: "model")) { error in
            XCTAssertEqual((error as? SafeTensorsError)?.kind, .missingShard)
            XCTAssertTrue("\(error)".contains("model.safetensors.index.json"))
        }
    }

    func testMalformedIndex() throws {
        let indexURL = directory.appendingPathComponent("model.safetensors.index.json")
        let cases: [String] = [
            "{not json",
            "[]",
            "{\"metadata\": {}}",
            "{\"weight_map\": {\"a\": 3}}",
            "{\"weight_map\": {\"a\": \"../escape.safetensors\"}}",
        ]
        for text in cases {
            try Data(text.utf8).write(to: indexURL)
            XCTAssertThrowsError(try SafeTensorsCheckpoint(directory: directory, weightsName: "model"), text) { error in
                XCTAssertEqual((error as? SafeTensorsError)?.kind, .invalidIndex, text)
                XCTAssertTrue("\(error)".hasPrefix(indexURL.path), "\(error)")
            }
        }
    }
}
