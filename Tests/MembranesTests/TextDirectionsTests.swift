import Foundation
@testable import Membranes
import StableDiffusion
import TensorEngine
import TestSupport
import XCTest

/// `text_directions`: the text-reading layers of a membrane read only the directions that tell
/// the target's prompts from the protected ones.
final class TextDirectionsTests: XCTestCase {
    /// Token states [prompts, tokens, width]: `base` plus `scale` times axis `axis` plus noise.
    func states(prompts: Int, axis: Int, scale: Float, width: Int = 6, seed: UInt64) -> Tensor {
        var rng = RandomSource(seed: seed)
        let noise = Tensor.randn([prompts, 3, width], using: &rng)
        var values = noise.scalars.map { $0 * 0.05 }
        for i in stride(from: 0, to: values.count, by: width) {
            values[i] += 1
            values[i + axis] += scale
        }
        return Tensor(shape: [prompts, 3, width], values: values)
    }

    func testTheDirectionIsWhatOnlyTheTargetHas() throws {
        // Every prompt shares axis 0 (a start token); the target also has axis 1; the protected
        // groups have axes 2 and 3.
        let target = states(prompts: 8, axis: 1, scale: 2, seed: 1)
        let protected = [states(prompts: 8, axis: 2, scale: 2, seed: 2), states(prompts: 8, axis: 3, scale: 2, seed: 3)]
        let d = TextDirections(target: target, protected: protected, count: 1)
        XCTAssertEqual(d.basis.count, 1)
        XCTAssertEqual(d.basis[0].reduce(0) { $0 + $1 * $1 }, 1, accuracy: 1e-9)
        let reads = d.reads(Tensor.concat([target.slice(axis: 0, range: 0..<1)] + protected.map { $0.slice(axis: 0, range: 0..<1) }, axis: 0))
        XCTAssertLessThan(reads[1], 0.05 * reads[0], "\(reads)")
        XCTAssertLessThan(reads[2], 0.05 * reads[0], "\(reads)")
        XCTAssertGreaterThan(d.separations[0], 10)

        // Restricting a row keeps exactly its part along the direction.
        var row: [Float] = [0.3, -0.7, 0.2, 0.9, -0.1, 0.4]
        let along = zip(row, d.basis[0]).reduce(0.0) { $0 + Double($1.0) * $1.1 }
        row.withUnsafeMutableBufferPointer { d.restrict($0.baseAddress!, rows: 1) }
        for i in row.indices { XCTAssertEqual(Double(row[i]), along * d.basis[0][i], accuracy: 1e-6) }
        let decoded = try JSONDecoder().decode(TextDirections.self, from: JSONEncoder().encode(d))
        XCTAssertEqual(decoded, d, "the directions a group leader broadcasts arrive unchanged")
    }

    func testReweightingProtectsTheGroupClosestToTheTarget() throws {
        // The target has axis 1. One protected group ("near") has most of axis 1 too, plus a
        // little of axis 2; twenty others have an axis of their own (3 to 5) and some of axis 2.
        // Reading the target without reading "near" needs axis 2, which the twenty outvote when
        // every group counts alike: the unweighted direction reads "near" at about 0.17 of the
        // target, the reweighted one at about 0.04.
        let target = states(prompts: 8, axis: 1, scale: 2, seed: 4)
        let near = Tensor(shape: target.shape, values: zip(target.scalars, states(prompts: 8, axis: 2, scale: 0.5, seed: 5).scalars).map { 0.9 * $0 + $1 - 0.9 })
        let far = (0..<20).map { k -> Tensor in
            let own = states(prompts: 8, axis: 3 + k % 3, scale: 2, seed: 10 + UInt64(k))
            var values = own.scalars
            for i in stride(from: 2, to: values.count, by: 6) { values[i] += 0.5 }
            return Tensor(shape: own.shape, values: values)
        }
        let d = TextDirections(target: target, protected: [near] + far, count: 1)
        let reads = d.reads(Tensor.concat([target, near], axis: 0))
        let targetRead = reads[0..<8].reduce(0, +), nearRead = reads[8...].reduce(0, +)
        XCTAssertLessThan(nearRead, 0.08 * targetRead, "target \(targetRead), near group \(nearRead)")
    }

    func testKeyParsesAndEntersTheHashOnlyWhenUsed() throws {
        let plain = try TrainingConfig(values: ["target": "red"], source: "t.yaml")
        XCTAssertNil(plain.canonicalValues["text_directions"])
        let set = try TrainingConfig(values: ["target": "red", "text_directions": 2], source: "t.yaml")
        XCTAssertEqual(set.textDirections, 2)
        XCTAssertEqual(set.canonicalValues["text_directions"], "2")
        for bad in [-1, 17] as [Any] + ["two"] {
            XCTAssertThrowsError(try TrainingConfig(values: ["target": "red", "text_directions": bad], source: "t.yaml")) {
                XCTAssertTrue("\($0)".contains("t.yaml") && "\($0)".contains("text_directions"), "\($0)")
            }
        }
    }

    func testTrainingKeepsTheTextLayersWithinTheDirections() throws {
        let c = try TrainingConfig(values: ["target": "red", "iterations": 2, "max_denoising_steps": 3, "sampling_batch_size": 1,
                                            "neighbour_anchors": 4, "text_directions": 1], source: "t.yaml")
        var trainer = try MembraneTrainer(model: Fixtures.model, config: c)
        let directions = try XCTUnwrap(trainer.objective.textDirections)
        XCTAssertEqual(directions.basis.count, 1)
        let summary = try XCTUnwrap(trainer.objective.textDirectionSummary)
        XCTAssertNotNil(summary["most read anchor"])
        func offDirection(_ m: Membrane) -> Double {
            var worst = 0.0
            for (path, layer) in m.layers where path.hasSuffix(".attn2.to_k") || path.hasSuffix(".attn2.to_v") {
                let row = layer.down.scalars.map(Double.init)
                let dot = zip(row, directions.basis[0]).reduce(0) { $0 + $1.0 * $1.1 }
                let rest = zip(row, directions.basis[0]).reduce(0) { $0 + pow($1.0 - dot * $1.1, 2) }.squareRoot()
                worst = max(worst, rest / max(abs(dot), 1e-12))
            }
            return worst
        }
        XCTAssertLessThan(offDirection(trainer.membrane), 1e-5, "the initial membrane lies along the direction")
        try trainer.trainIteration()
        try trainer.trainIteration()
        XCTAssertLessThan(offDirection(trainer.membrane), 1e-5, "so does the trained one")

        // Given directions replace the computed ones (a group's ranks share their leader's).
        let given = TextDirections(target: states(prompts: 2, axis: 1, scale: 2, width: directions.width, seed: 7),
                                   protected: [states(prompts: 2, axis: 2, scale: 2, width: directions.width, seed: 8)], count: 1)
        let adopted = try MembraneTrainer(model: Fixtures.model, config: c, textDirections: given)
        XCTAssertEqual(adopted.objective.textDirections, given)
    }

    // On a model whose text encoder knows synonyms (SYNONYMS.json), the direction found for each
    // concept from the model alone reads the concept's synonyms at least 0.8 as much as the
    // concept itself, and the other concepts and their synonyms at most 0.35 of it (0.25 on
    // average). Measured on shapesworld-a-synonyms: synonyms 0.99-1.04; others 0.03-0.29,
    // averages 0.05-0.20.
    func testTheDirectionReadsSynonymsAndNotOtherConcepts() throws {
        let synonyms = try Fixtures.synonyms()
        let model = MeaningTransportTests.model
        for concept in synonyms.keys.sorted() where !(synonyms[concept]?.isEmpty ?? true) {
            let c = try TrainingConfig(values: ["target": concept, "neighbour_anchors": 24, "text_directions": 1], source: "t.yaml")
            let objective = try SPMObjective(model: model, config: c)
            XCTAssertFalse(objective.anchorPromptTexts.contains { synonyms[concept]?.contains($0) ?? false }, "no synonym is an anchor")
            let own = try XCTUnwrap(objective.textDirectionReads(["a \(concept) thing"])?.first)
            let ownSynonyms = try XCTUnwrap(objective.textDirectionReads(synonyms[concept]!.map { "a \($0) thing" }))
            for (word, read) in zip(synonyms[concept]!, ownSynonyms) { XCTAssertGreaterThanOrEqual(read, 0.8 * own, "\(concept): \(word)") }
            let others = synonyms.filter { $0.key != concept }.flatMap { [$0.key] + $0.value }
            let reads = try XCTUnwrap(objective.textDirectionReads(others.map { "a \($0) thing" }))
            for (word, read) in zip(others, reads) { XCTAssertLessThanOrEqual(read, 0.35 * own, "\(concept): \(word)") }
            XCTAssertLessThanOrEqual(reads.reduce(0, +) / Double(reads.count), 0.25 * own, concept)
        }
    }
}
