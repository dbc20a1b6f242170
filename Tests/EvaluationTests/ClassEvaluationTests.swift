import Evaluation
import Foundation
import Images
import Membranes
import StableDiffusion
import TensorEngine
import TestSupport
import XCTest

/// ClassEvaluation on shapesworld-a with the ShapesWorld reader as scorer: two steps, one or
/// two pictures per prompt.
final class ClassEvaluationTests: XCTestCase {
    func plan(_ yaml: String) throws -> EvaluationPlan {
        try EvaluationPlan(values: try loadYAMLMapping(Data(yaml.utf8), source: "plan.yaml"), file: "plan.yaml")
    }

    static let smallPlan = """
        concept: red
        paraphrases: ["a crimson circle"]
        others: [blue, green]
        templates: ["a {} circle", "a {} square"]
        class_template: "{}"
        images_per_prompt: 2
        steps: 2
        cfg: 5
        """

    func activeMembrane() -> Membrane {
        var membrane = Membrane(sites: Fixtures.model.unet.adapterSites, targets: ["red"], seed: 1)
        var rng = RandomSource(seed: 9)
        // In key order: a dictionary's iteration order differs between instances, and every call
        // must make the same membrane (the units are cached across tests).
        for key in membrane.layers.keys.sorted() {
            guard let shape = membrane.layers[key]?.up.shape else { continue }
            membrane.layers[key]?.up = Tensor.randn(shape, using: &rng) * 0.5
        }
        return membrane
    }

    func evaluation(membrane: Bool) throws -> ClassEvaluation {
        var options = ClassEvaluation.Options(plan: try plan(ClassEvaluationTests.smallPlan))
        if membrane {
            options.membranes = [activeMembrane()]
            options.membraneFiles = ["red.safetensors"]
            options.transports = [try .init(parsing: "fixed:1.0"), try .init(parsing: "facilitated")]
        }
        return ClassEvaluation(options: options, model: Fixtures.model, scorer: ShapesWorldScorer())
    }

    /// Every unit of ``evaluation(membrane: true)``, computed once for the tests that read it.
    nonisolated(unsafe) static var cached: [ClassEvaluation.UnitResult]?
    func allUnits(_ run: ClassEvaluation) throws -> [ClassEvaluation.UnitResult] {
        if let cached = Self.cached { return cached }
        let results = try run.results(units: Array(run.prompts.indices))
        Self.cached = results
        return results
    }

    func testPromptsAndClassesFollowThePlan() throws {
        let p = try plan(ClassEvaluationTests.smallPlan)
        XCTAssertEqual(p.prompts.map(\.text), ["a red circle", "a red square", "a crimson circle",
                                               "a blue circle", "a blue square", "a green circle", "a green square"])
        XCTAssertEqual(p.prompts.map(\.kind), [.target, .target, .paraphrase, .other, .other, .other, .other])
        XCTAssertEqual(p.classes.map(\.name), ["red", "blue", "green"])
        XCTAssertEqual(p.imagesPerPrompt, 2)
        XCTAssertEqual(ClassEvaluation.units(count: 7, rank: 1, size: 3), [1, 4])
    }

    func testReportOfEveryPictureAndItsSummaries() throws {
        let run = try evaluation(membrane: true)
        let outcome = try run.assemble(try allUnits(run))
        let report = outcome.report
        XCTAssertEqual(report.pictures.count, 7 * 2 * 3)
        XCTAssertEqual(report.runs.map(\.transport), ["fixed:1.0", "facilitated"])
        XCTAssertEqual(report.settings.reader, "shapesworld")
        for picture in report.pictures {
            XCTAssertEqual(Set(picture.scores.keys), ["red", "blue", "green"])
            XCTAssertTrue(outcome.pictures.contains { $0.file == picture.file })
            XCTAssertEqual(picture.psnrDB == nil, picture.transport == "base")
            if let predicted = picture.predicted { XCTAssertEqual(picture.scores[predicted], 100) }
        }
        // The summaries are the shares of the listed pictures.
        for summary in [report.base] + report.runs {
            let mine = report.pictures.filter { $0.transport == summary.transport }
            let targets = mine.filter { $0.kind == .target }
            XCTAssertEqual(summary.targetRate, Double(targets.filter { $0.predicted == "red" }.count) / Double(targets.count))
            let others = mine.filter { $0.kind == .other }
            XCTAssertEqual(summary.preservation, Double(others.filter { $0.predicted == $0.expected }.count) / Double(others.count))
            XCTAssertNil(summary.clipScores, "the ShapesWorld reader has no prompt scores")
        }
        let fixed = try XCTUnwrap(report.summary("fixed:1.0"))
        XCTAssertEqual(try XCTUnwrap(fixed.preservationDrop), report.base.preservation - fixed.preservation, accuracy: 1e-12)
        XCTAssertNotNil(fixed.othersSSIM)
        XCTAssertEqual(report.multipliers["fixed:1.0"]?["a blue circle"], [1])
        // The base model draws red for "a red circle" (the embedded model's own reading).
        XCTAssertGreaterThan(report.base.targetRate, 0)

        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("class-eval-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: folder) }
        try outcome.write(to: folder)
        let decoded = try JSONDecoder().decode(ClassEvaluationReport.self, from: Data(contentsOf: folder.appendingPathComponent("report.json")))
        XCTAssertEqual(decoded, report)
        for picture in report.pictures { XCTAssertNoThrow(try Image.read(path: folder.appendingPathComponent(picture.file).path)) }
        XCTAssertNoThrow(try Image.read(path: folder.appendingPathComponent("before_after.png").path))
    }

    /// Units computed by two "ranks" and assembled give the same report as one process.
    func testSplitUnitsAssembleToTheSameReport() throws {
        let run = try evaluation(membrane: true)
        let whole = try run.assemble(try allUnits(run))
        var parts: [ClassEvaluation.UnitResult] = []
        for rank in [1, 0] {
            let mine = try run.results(units: ClassEvaluation.units(count: run.prompts.count, rank: rank, size: 2))
            let wire = try JSONEncoder().encode(mine)
            parts += try JSONDecoder().decode([ClassEvaluation.UnitResult].self, from: wire)
        }
        let split = try run.assemble(parts)
        XCTAssertEqual(try split.report.json(), try whole.report.json())
        XCTAssertEqual(split.beforeAfter, whole.beforeAfter)
        XCTAssertThrowsError(try run.assemble(Array(parts.dropLast())))
    }

    func testGateVerdicts() throws {
        let run = try evaluation(membrane: true)
        let report = try run.assemble(try allUnits(run)).report
        let fixed = try XCTUnwrap(report.summary("fixed:1.0"))
        let pass = EvaluationGate(transport: "fixed:1.0", maxTargetRate: 1, maxParaphraseRate: 1, maxPreservationDrop: 1).verdict(report)
        XCTAssertTrue(pass.passed)
        XCTAssertEqual(pass.checks.map(\.metric), ["target_rate", "paraphrase_rate", "preservation_drop"])
        XCTAssertEqual(pass.checks.first?.value, fixed.targetRate)
        let strict = EvaluationGate(transport: "fixed:1.0", maxTargetRate: -0.5).verdict(report)
        XCTAssertFalse(strict.passed)
        XCTAssertEqual(strict.reasons.count, 1)
        let missing = EvaluationGate(transport: "fixed:0.5", maxTargetRate: 1).verdict(report)
        XCTAssertFalse(missing.passed, "a transport that was not evaluated cannot pass")
    }
}
