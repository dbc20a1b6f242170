import Foundation
@testable import Membranes
import StableDiffusion
import TensorEngine
import TestSupport
import XCTest

/// The default Facilitated Transport acts on what the text encoder understands: on a model
/// that knows synonyms of its concepts (words listed in the model's SYNONYMS.json), a membrane's
/// multiplier is high on its target's synonyms and low on the other concepts and their synonyms.
final class MeaningTransportTests: XCTestCase {
    nonisolated(unsafe) static let model: StableDiffusionModel = {
        do { return try StableDiffusionModel(directory: Fixtures.synonymsModel) } catch { fatalError("\(error)") }
    }()

    /// A membrane for `target` after a 2-iteration training, with the metadata training writes.
    func trainedMembrane(_ target: String) throws -> Membrane {
        let config = try TrainingConfig(values: ["target": target, "iterations": 2, "max_denoising_steps": 3, "sampling_batch_size": 1], source: "test")
        var trainer = try MembraneTrainer(model: Self.model, config: config)
        var loss = LossParts()
        while trainer.iteration < config.iterations { loss = try trainer.trainIteration() }
        let info = MembraneMetadata.describe(config: config, model: Self.model, iterations: trainer.iteration, loss: loss)
        return trainer.result(info: info)
    }

    // Thresholds: a synonym of the target at least 0.8 (a membrane at 0.8 acts nearly fully);
    // another concept or its synonym at most 0.3, and at most 0.05 on average.
    func testSynonymsOfTheTargetAreHighAndOtherConceptsLow() throws {
        let synonyms = try Fixtures.synonyms()
        XCTAssertFalse(synonyms.isEmpty)
        for (concept, words) in synonyms {
            let membrane = try trainedMembrane(concept)
            XCTAssertNotNil(ConceptCalibration.stored(in: membrane.info), "training stores the calibration")
            let own = words.map { "a \($0)" }
            let others = synonyms.filter { $0.key != concept }.flatMap { [$0.key] + $0.value }.map { "a \($0)" }
            let m = Transport.facilitated(.meaning).multipliers(prompts: own + others, membranes: [membrane], model: Self.model)[0]
            for (prompt, value) in zip(own, m) { XCTAssertGreaterThanOrEqual(value, 0.8, "\(concept): '\(prompt)'") }
            let rest = Array(m[own.count...])
            for (prompt, value) in zip(others, rest) { XCTAssertLessThanOrEqual(value, 0.3, "\(concept): '\(prompt)'") }
            XCTAssertLessThanOrEqual(rest.reduce(0, +) / Float(rest.count), 0.05, concept)
            XCTAssertEqual(Transport.facilitated(.meaning).multipliers(prompts: ["a \(concept)"], membranes: [membrane], model: Self.model)[0][0], 1)
        }
    }

    func testMembraneWithoutCalibrationIsCalibratedAtLoad() throws {
        let (concept, words) = try XCTUnwrap(Fixtures.synonyms().sorted { $0.key < $1.key }.first)
        let trained = try trainedMembrane(concept)
        // A reference-layout file: only the reference's metadata (prompts, rank, alpha).
        var bare = trained
        bare.info = [:]
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("bare-\(UUID().uuidString).safetensors")
        defer { try? FileManager.default.removeItem(at: url) }
        try bare.write(to: url)
        let loaded = try Membrane.read(from: url, sites: Self.model.unet.adapterSites)
        XCTAssertNil(ConceptCalibration.stored(in: loaded.info))
        let prompts = words.map { "a \($0)" } + ["a \(concept)"]
        let fallback = Transport.facilitated(.meaning).multipliers(prompts: prompts, membranes: [loaded], model: Self.model)
        let stored = Transport.facilitated(.meaning).multipliers(prompts: prompts, membranes: [trained], model: Self.model)
        XCTAssertEqual(fallback, stored, "the fallback calibrates from the model and the target as training does")
        XCTAssertNotNil(Transport.facilitated(.meaning).provider(membranes: [loaded], model: Self.model))
    }

    func testMembraneCarriedToAnotherTextEncoderIsCalibratedOnIt() throws {
        let (concept, words) = try XCTUnwrap(Fixtures.synonyms().sorted { $0.key < $1.key }.first)
        // Trained on the embedded model, whose text encoder does not know the synonyms.
        let config = try TrainingConfig(values: ["target": concept, "iterations": 1, "max_denoising_steps": 3, "sampling_batch_size": 1], source: "test")
        var trainer = try MembraneTrainer(model: Fixtures.model, config: config)
        let loss = try trainer.trainIteration()
        let membrane = trainer.result(info: MembraneMetadata.describe(config: config, model: Fixtures.model, iterations: 1, loss: loss))
        XCTAssertEqual(ConceptCalibration.stored(in: membrane.info)?.first?.encoder, Fixtures.model.textEncoderFingerprint)
        XCTAssertNotEqual(Fixtures.model.textEncoderFingerprint, Self.model.textEncoderFingerprint)
        let m = Transport.facilitated(.meaning).multipliers(prompts: words.map { "a \($0)" }, membranes: [membrane], model: Self.model)[0]
        for (word, value) in zip(words, m) { XCTAssertGreaterThanOrEqual(value, 0.8, "'\(word)' on the model that knows it") }
    }

    func testCalibrationSurvivesTheMembraneFile() throws {
        let membrane = try trainedMembrane("red")
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("cal-\(UUID().uuidString).safetensors")
        defer { try? FileManager.default.removeItem(at: url) }
        try membrane.write(to: url)
        let loaded = try Membrane.read(from: url, sites: Self.model.unet.adapterSites)
        XCTAssertEqual(ConceptCalibration.stored(in: loaded.info), ConceptCalibration.stored(in: membrane.info))
        let c = try XCTUnwrap(ConceptCalibration.stored(in: loaded.info)?.first)
        XCTAssertLessThan(c.low, c.high)
        XCTAssertEqual(c.multiplier(score: c.low), 0)
        XCTAssertEqual(c.multiplier(score: c.high), 1)
        XCTAssertEqual(c.multiplier(score: .nan), 0)
    }
}
