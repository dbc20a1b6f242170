import Foundation
@testable import Membranes
import StableDiffusion
import TestSupport
import XCTest

/// Training options for membranes that preserve on their own: anchor prompts (`preserve`, the
/// target's vocabulary neighbours) and cross-attention placement.
final class AnchorPromptTests: XCTestCase {
    func config(_ extra: [String: Any]) throws -> TrainingConfig {
        var values: [String: Any] = ["target": "red", "iterations": 2, "max_denoising_steps": 3, "sampling_batch_size": 1]
        for (k, v) in extra { values[k] = v }
        return try TrainingConfig(values: values, source: "test.yaml")
    }

    func testNewKeysParseAndLeaveOldHashesAlone() throws {
        let plain = try config([:])
        XCTAssertNil(plain.canonicalValues["placement"])
        XCTAssertNil(plain.canonicalValues["preserve"])
        XCTAssertNil(plain.canonicalValues["neighbour_anchors"])
        XCTAssertEqual(plain.promptAnchorsPerUnit, 0)
        let set = try config(["placement": "cross_attention", "preserve": ["blue", "a green thing"], "neighbour_anchors": 3])
        XCTAssertEqual(set.placement, .crossAttention)
        XCTAssertEqual(set.preserve, ["blue", "a green thing"])
        XCTAssertEqual(set.promptAnchorsPerUnit, 2)
        XCTAssertNotEqual(MembraneMetadata.configHash(set), MembraneMetadata.configHash(plain))
        for (key, value) in [("placement", "everywhere"), ("preserve", "blue"), ("neighbour_anchors", -1), ("prompt_anchors", -2)] as [(String, Any)] {
            XCTAssertThrowsError(try config([key: value]), key) { XCTAssertTrue("\($0)".contains("test.yaml") && "\($0)".contains(key), "\($0)") }
        }
        XCTAssertThrowsError(try config(["preserve": ["blue", " "]]))
    }

    func testAnchorPromptsJoinEveryTrajectory() throws {
        let c = try config(["preserve": ["blue"], "neighbour_anchors": 4, "prompt_anchors": 3])
        let objective = try SPMObjective(model: Fixtures.model, config: c)
        XCTAssertEqual(objective.anchorPromptTexts.first, "blue")
        XCTAssertEqual(objective.anchorPromptTexts.count, 5, "preserve plus 4 neighbours: \(objective.anchorPromptTexts)")
        XCTAssertFalse(objective.anchorPromptTexts.dropFirst().contains("red"))
        let membrane = MembraneTrainer.initialMembrane(sites: Fixtures.model.unet.adapterSites, config: c)
        let draw = objective.draw(iteration: 0, unit: 0, membrane: membrane)
        XCTAssertEqual(draw.anchors.count, 1 + 3)
        // The random anchors are drawn first and as before: configs without anchor prompts keep
        // their draws.
        let before = try SPMObjective(model: Fixtures.model, config: config([:])).draw(iteration: 0, unit: 0, membrane: membrane)
        XCTAssertEqual(before.anchors[0].scalars, draw.anchors[0].scalars)
        XCTAssertEqual(before.z.scalars, draw.z.scalars)
        var trainer = try MembraneTrainer(model: Fixtures.model, config: c)
        XCTAssertTrue(try trainer.trainIteration().total.isFinite)
    }

    func testCrossAttentionPlacementKeepsOnlyTheTextProjections() throws {
        let c = try config(["placement": "cross_attention"])
        let membrane = MembraneTrainer.initialMembrane(sites: Fixtures.model.unet.adapterSites, config: c)
        XCTAssertFalse(membrane.layers.isEmpty)
        XCTAssertTrue(membrane.layers.keys.allSatisfy { $0.hasSuffix(".attn2.to_k") || $0.hasSuffix(".attn2.to_v") }, "\(membrane.layers.keys.sorted())")
        var trainer = try MembraneTrainer(model: Fixtures.model, config: c)
        try trainer.trainIteration()
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("xa-\(UUID().uuidString).safetensors")
        defer { try? FileManager.default.removeItem(at: url) }
        try trainer.result().write(to: url)
        let loaded = try Membrane.read(from: url, sites: Fixtures.model.unet.adapterSites)
        XCTAssertEqual(Set(loaded.layers.keys), Set(membrane.layers.keys))
        XCTAssertEqual(try trainer.checkpoint().membrane(model: Fixtures.model, config: c, info: [:]).parameters.map(\.scalars),
                       loaded.parameters.map(\.scalars))
    }
}
