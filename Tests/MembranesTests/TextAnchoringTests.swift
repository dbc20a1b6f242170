import Foundation
@testable import Membranes
import StableDiffusion
import TensorEngine
import TestSupport
import XCTest

/// The closed-form text anchoring penalty: value, gradient against finite differences, config key,
/// and its effect on a short training.
final class TextAnchoringTests: XCTestCase {
    /// A cross-attention-only membrane of the fixture model with random `down` and `up`.
    func randomMembrane(seed: UInt64) -> Membrane {
        var m = Membrane(sites: Fixtures.model.unet.adapterSites.filter { TextAnchoring.readsText(path: $0.path) },
                         targets: ["red"], seed: seed)
        var rng = RandomSource(seed: seed ^ 7)
        for (k, l) in m.layers { m.layers[k]?.up = Tensor.randn(l.up.shape, using: &rng) * 0.1 }
        m.alpha = 0.5
        return m
    }

    func testPenaltyIsTheMeanSquaredChangeOfKeysAndValues() throws {
        let states = Fixtures.model.encode(prompts: ["a blue square", ""])
        let anchoring = TextAnchoring(states: states, strength: 3)
        let m = randomMembrane(seed: 1)
        var g = ParameterVector(zeros: m.parameterCount)
        let penalty = Double(anchoring.addGradient(of: m, to: &g))
        // Direct: the term's output on every token state, squared, averaged over tokens.
        var expected = 0.0
        let d = states.shape[2], tokens = states.count / d
        for l in m.layers.values {
            let delta = states.reshaped([tokens, d]).linear(weight: l.down).linear(weight: l.up) * m.scale
            expected += delta.scalars.reduce(0.0) { $0 + Double($1) * Double($1) } / Double(tokens)
        }
        XCTAssertGreaterThan(expected, 0)
        XCTAssertEqual(penalty, 3 * expected, accuracy: 1e-4 * 3 * expected)
    }

    func testGradientMatchesFiniteDifferences() throws {
        let anchoring = TextAnchoring(states: Fixtures.model.encode(prompts: ["a green cross", "a photo of a circle"]), strength: 2)
        let m = randomMembrane(seed: 2)
        var g = ParameterVector(zeros: m.parameterCount)
        anchoring.addGradient(of: m, to: &g)
        let base = ParameterVector(tensors: m.parameters)
        func penalty(_ v: ParameterVector) -> Double {
            var scratch = ParameterVector(zeros: v.count)
            return Double(anchoring.addGradient(of: m.replacingParameters(v), to: &scratch))
        }
        var rng = RandomSource(seed: 3)
        for _ in 0..<12 {
            let i = rng.int(in: 0..<base.count)
            let h: Float = 1e-2
            var plus = base, minus = base
            plus.values[i] += h
            minus.values[i] -= h
            let numeric = (penalty(plus) - penalty(minus)) / Double(2 * h)
            XCTAssertEqual(Double(g.values[i]), numeric, accuracy: 1e-3 * max(1, abs(numeric)), "parameter \(i)")
        }
    }

    func testLayersThatDoNotReadTextAreLeftAlone() throws {
        let all = Membrane(sites: Fixtures.model.unet.adapterSites, targets: ["red"], seed: 4)
        var m = all
        var rng = RandomSource(seed: 5)
        for (k, l) in m.layers { m.layers[k]?.up = Tensor.randn(l.up.shape, using: &rng) }
        var g = ParameterVector(zeros: m.parameterCount)
        TextAnchoring(states: Fixtures.model.encode(prompts: [""]), strength: 1).addGradient(of: m, to: &g)
        var offset = 0
        for path in m.layers.keys.sorted() {
            let l = m.layers[path]!
            let n = l.down.count + l.up.count
            let touched = g.values[offset..<(offset + n)].contains { $0 != 0 }
            XCTAssertEqual(touched, TextAnchoring.readsText(path: path), path)
            offset += n
        }
    }

    func testConfigKey() throws {
        let plain = try TrainingConfig(values: ["target": "red"], source: "t.yaml")
        XCTAssertNil(plain.canonicalValues["text_anchoring"])
        let set = try TrainingConfig(values: ["target": "red", "text_anchoring": 100], source: "t.yaml")
        XCTAssertEqual(set.textAnchoring, 100)
        XCTAssertEqual(set.canonicalValues["text_anchoring"], "100.0")
        for bad in [-1.0, Double.infinity, Double.nan] {
            XCTAssertThrowsError(try TrainingConfig(values: ["target": "red", "text_anchoring": bad], source: "t.yaml").validate(source: "t.yaml")) {
                XCTAssertTrue("\($0)".contains("text_anchoring"), "\($0)")
            }
        }
    }

    /// A short training with text anchoring keeps the membrane's keys and values on the anchor
    /// prompts far closer to the base model's than the same training without it.
    func testTrainingWithTextAnchoringKeepsAnchorPromptsStill() throws {
        func trained(_ strength: Double) throws -> Membrane {
            var values: [String: Any] = ["target": "red", "placement": "cross_attention", "preserve": ["blue", "a green thing"],
                                         "iterations": 12, "max_denoising_steps": 3, "sampling_batch_size": 1, "la_strength": 1,
                                         "lr": 0.01, "lr_scheduler": "constant", "guidance_scale": 2]
            if strength > 0 { values["text_anchoring"] = strength }
            var trainer = try MembraneTrainer(model: Fixtures.model, config: TrainingConfig(values: values, source: "t.yaml"))
            for _ in 0..<12 { try trainer.trainIteration() }
            return trainer.result()
        }
        let measure = TextAnchoring(states: Fixtures.model.encode(prompts: ["blue", "a green thing", ""]), strength: 1)
        func change(_ m: Membrane) -> Float {
            var g = ParameterVector(zeros: m.parameterCount)
            return measure.addGradient(of: m, to: &g)
        }
        let free = try trained(0), anchored = try trained(1000)
        XCTAssertGreaterThan(change(free), 0)
        XCTAssertLessThan(change(anchored), change(free) / 4, "anchored \(change(anchored)) vs free \(change(free))")
    }
}
