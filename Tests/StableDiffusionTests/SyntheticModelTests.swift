import Foundation
import StableDiffusion
import TensorEngine
import XCTest

/// Models of a described architecture with random weights (the SD v1.5-size benchmarks).
final class SyntheticModelTests: XCTestCase {
    /// SD v1.5's layout at a few channels: same blocks, tokenizer, 77 tokens and schedule.
    func smallConfigs() -> SyntheticModelConfigs {
        var c = SyntheticModelConfigs.sd15
        c.unet["block_out_channels"] = [32, 32, 32, 32]
        c.unet["cross_attention_dim"] = 32
        c.textEncoder.merge(["hidden_size": 32, "intermediate_size": 64, "num_hidden_layers": 1, "num_attention_heads": 2]) { $1 }
        return c
    }

    func testBuildsTheDescribedArchitectureWithRandomWeights() throws {
        let model = try StableDiffusionModel(synthetic: smallConfigs(), tokenizerDirectory: try DefaultConfigs.tokenizerDirectory(), seed: 4)
        XCTAssertEqual(model.encode(prompts: ["a photo of a dog"]).shape, [1, 77, 32])
        XCTAssertEqual(model.unet.config.blockOutChannels, [32, 32, 32, 32])
        XCTAssertEqual(model.vaeScale, 8)
        XCTAssertEqual(try model.latentShape(width: 256, height: 256), [4, 32, 32])
        XCTAssertEqual(model.scheduler.numTrainTimesteps, 1000)
        XCTAssertEqual(model.unetFingerprint, "synthetic:4")
        XCTAssertGreaterThan(model.parameterCounts["unet"] ?? 0, 100_000)
        XCTAssertGreaterThan(model.parameterCounts["text_encoder"] ?? 0, 49408 * 32)
        XCTAssertFalse(model.unet.adapterSites.isEmpty)
        var rng = RandomSource(seed: 1)
        let out = model.unet(Tensor.randn([1, 4, 32, 32], using: &rng), timesteps: [10], context: model.encode(prompts: [""]))
        XCTAssertTrue(out.scalars.allSatisfy { $0.isFinite })
    }

    func testSameSeedSameWeights() throws {
        let dir = try DefaultConfigs.tokenizerDirectory()
        let a = try StableDiffusionModel(synthetic: smallConfigs(), tokenizerDirectory: dir, seed: 4)
        let b = try StableDiffusionModel(synthetic: smallConfigs(), tokenizerDirectory: dir, seed: 4)
        XCTAssertEqual(a.encode(prompts: ["red"]).scalars, b.encode(prompts: ["red"]).scalars)
    }

    func testTextEncoderSmallerThanTheTokenizerIsRefused() throws {
        var configs = smallConfigs()
        configs.textEncoder["vocab_size"] = 100
        XCTAssertThrowsError(try StableDiffusionModel(synthetic: configs, tokenizerDirectory: try DefaultConfigs.tokenizerDirectory(), seed: 1)) {
            XCTAssertTrue("\($0)".contains("vocab_size"), "\($0)")
            XCTAssertTrue("\($0)".contains("synthetic model text_encoder config"), "\($0)")
        }
    }

    func testInvalidUNetConfigIsNamed() throws {
        var configs = smallConfigs()
        configs.unet["block_out_channels"] = "many"
        XCTAssertThrowsError(try StableDiffusionModel(synthetic: configs, tokenizerDirectory: try DefaultConfigs.tokenizerDirectory(), seed: 1)) {
            XCTAssertTrue("\($0)".contains("synthetic model unet config"), "\($0)")
        }
    }
}
