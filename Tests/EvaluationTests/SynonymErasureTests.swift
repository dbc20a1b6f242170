import Evaluation
import Foundation
import Membranes
import StableDiffusion
import TestSupport
import XCTest

/// End to end on the model that knows synonyms: a briefly trained membrane, applied with the
/// default Facilitated Transport, lowers its concept on prompts that name only a synonym of it,
/// and leaves the other prompts' pictures as the base model draws them.
final class SynonymErasureTests: XCTestCase {
    func testShortTrainingErasesTheTargetOnSynonymPrompts() throws {
        let (concept, _) = try XCTUnwrap(Fixtures.synonyms().sorted { $0.key < $1.key }.first)
        let model = try StableDiffusionModel(directory: Fixtures.synonymsModel)
        var config = try TrainingConfig.load(Fixtures.repoRoot.appendingPathComponent("configs/shapesworld/\(concept).yaml"))
        config.iterations = 60
        var trainer = try MembraneTrainer(model: model, config: config)
        var loss = LossParts()
        while trainer.iteration < config.iterations { loss = try trainer.trainIteration() }
        let file = FileManager.default.temporaryDirectory.appendingPathComponent("synonym-erasure-\(UUID().uuidString).safetensors")
        defer { try? FileManager.default.removeItem(at: file) }
        try trainer.result(info: MembraneMetadata.describe(config: config, model: model, iterations: trainer.iteration, loss: loss))
            .write(to: file)

        var options = ShapesWorldEvaluation.Options(model: Fixtures.synonymsModel)
        options.membranes = [file]
        options.seeds = 2
        options.steps = 20
        options.batchSize = 32
        options.transports = [ShapesWorldEvaluation.NamedTransport(.facilitated(.meaning))]
        let report = try ShapesWorldEvaluation(options: options).run().report
        let run = try XCTUnwrap(report.runs.first)
        let synonymRate = try XCTUnwrap(run.synonymTargets?.first { $0.concept == concept })
        XCTAssertGreaterThanOrEqual(synonymRate.before, 0.75, "the base model draws \(concept) for its synonyms")
        XCTAssertLessThanOrEqual(synonymRate.after, synonymRate.before - 0.5, "\(concept) on synonym prompts: \(synonymRate)")
        XCTAssertEqual(run.others.psnr.identicalPictures, run.others.psnr.pictures, "prompts about other concepts are untouched")
    }
}
