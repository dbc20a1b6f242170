import Foundation
@testable import Membranes
import StableDiffusion
import TensorEngine
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

    func testUnconditionalAnchorJoinsEveryTrajectory() throws {
        let plain = try config([:])
        XCTAssertNil(plain.canonicalValues["anchor_unconditional"])
        let c = try config(["anchor_unconditional": true])
        XCTAssertTrue(c.anchorUnconditional)
        XCTAssertNotEqual(MembraneMetadata.configHash(c), MembraneMetadata.configHash(plain))
        XCTAssertThrowsError(try config(["anchor_unconditional": "yes"])) {
            XCTAssertTrue("\($0)".contains("test.yaml") && "\($0)".contains("anchor_unconditional"), "\($0)")
        }
        let objective = try SPMObjective(model: Fixtures.model, config: c)
        let membrane = MembraneTrainer.initialMembrane(sites: Fixtures.model.unet.adapterSites, config: c)
        let draw = objective.draw(iteration: 0, unit: 0, membrane: membrane)
        XCTAssertEqual(draw.anchors.count, 2)
        XCTAssertEqual(draw.anchors[1].scalars, objective.contexts.unconditional.scalars)
        // The random anchor is drawn as without the option.
        let before = try SPMObjective(model: Fixtures.model, config: plain).draw(iteration: 0, unit: 0, membrane: membrane)
        XCTAssertEqual(before.anchors[0].scalars, draw.anchors[0].scalars)
        // Erasing alone has no anchors to add it to.
        let erase = try SPMObjective(model: Fixtures.model, config: config(["anchor_unconditional": true, "action": "erase"]))
        XCTAssertTrue(erase.draw(iteration: 0, unit: 0, membrane: membrane).anchors.isEmpty)
    }

    func testAnchorPromptsCanHaveTheirOwnTrajectories() throws {
        let values: [String: Any] = ["preserve": ["blue", "green"], "prompt_anchors": 2]
        let plain = try config(values)
        var extra = values
        extra["anchor_trajectories"] = true
        let c = try config(extra)
        XCTAssertNil(plain.canonicalValues["anchor_trajectories"])
        XCTAssertNotEqual(MembraneMetadata.configHash(c), MembraneMetadata.configHash(plain))
        let objective = try SPMObjective(model: Fixtures.model, config: c)
        let membrane = MembraneTrainer.initialMembrane(sites: Fixtures.model.unet.adapterSites, config: c)
        let draw = objective.draw(iteration: 1, unit: 0, membrane: membrane)
        let before = try SPMObjective(model: Fixtures.model, config: plain).draw(iteration: 1, unit: 0, membrane: membrane)
        XCTAssertEqual(draw.anchors.count, 3)
        XCTAssertEqual(draw.z.scalars, before.z.scalars)
        XCTAssertEqual(before.anchorLatents.map(\.scalars), Array(repeating: before.z.scalars, count: 3))
        // The random anchor stays on the target's latent; each prompt anchor is on the original
        // model's trajectory for its own prompt, from the same noise and length.
        XCTAssertEqual(draw.anchorLatents[0].scalars, draw.z.scalars)
        var rng = objective.stream(iteration: 1, unit: 0)
        let steps = rng.int(in: 1..<c.maxDenoisingSteps)
        let noise = Tensor.randn([1] + objective.latentShape, using: &rng)
        for k in 1...2 {
            let own = objective.trajectory(noise, contexts: [draw.anchors[k]], steps: steps, adapter: nil)
            XCTAssertEqual(draw.anchorLatents[k].shape, draw.z.shape)
            XCTAssertNotEqual(draw.anchorLatents[k].scalars, draw.z.scalars)
            let gap = zip(own.scalars, draw.anchorLatents[k].scalars).map { abs($0 - $1) }.max() ?? 0
            XCTAssertLessThan(gap, 1e-4, "anchor \(k): batched and single trajectories differ by \(gap)")
        }
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
