import Evaluation
import Foundation
import Membranes
import StableDiffusion
import TensorEngine
import TestSupport
import XCTest

/// ShapesWorldEvaluation run in-process on shapesworld-a with one seed and two steps.
final class ShapesWorldEvaluationTests: XCTestCase {
    var directory: URL!

    override func setUpWithError() throws {
        directory = FileManager.default.temporaryDirectory.appendingPathComponent("shapesworld-evaluation-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
    }

    override func tearDownWithError() throws {
        try? FileManager.default.removeItem(at: directory)
    }

    /// Tiny options: one seed, two steps, batches of 30 pictures.
    func options(membranes: [URL] = [], transports: [Transport] = [], model: URL = Fixtures.modelA) -> ShapesWorldEvaluation.Options {
        var options = ShapesWorldEvaluation.Options(model: model)
        options.membranes = membranes
        options.seeds = 1
        options.steps = 2
        options.batchSize = 30
        options.transports = transports.map(ShapesWorldEvaluation.NamedTransport.init)
        return options
    }

    /// A membrane file targeting `targets` whose `up` is random (a fresh membrane's is zero and
    /// changes nothing).
    func activeMembrane(targets: [String], name: String) throws -> URL {
        var membrane = Membrane(sites: Fixtures.model.unet.adapterSites, targets: targets, seed: 1)
        var rng = RandomSource(seed: 9)
        for (k, l) in membrane.layers { membrane.layers[k]?.up = Tensor.randn(l.up.shape, using: &rng) * 0.5 }
        let file = directory.appendingPathComponent(name)
        try membrane.write(to: file)
        return file
    }

    func testBaseModelAlone() throws {
        var groups: Set<String> = []
        var last: ShapesWorldEvaluation.Progress?
        let outcome = try ShapesWorldEvaluation(options: options()).run { progress in
            groups.insert(progress.group)
            last = progress
        }
        XCTAssertEqual(groups, ["base"])
        XCTAssertEqual(last?.step, 2)
        XCTAssertEqual(last?.total, 2)

        let report = outcome.report
        XCTAssertEqual(report.settings.model, Fixtures.modelA.path)
        XCTAssertTrue(report.settings.membranes.isEmpty)
        XCTAssertEqual(report.settings.targets, [])
        XCTAssertEqual(report.settings.transports, [])
        XCTAssertEqual(report.settings.sampler, "ddim")
        XCTAssertEqual(report.settings.prompts, ShapesWorld.prompts.map(\.text))
        XCTAssertEqual(report.base.pictures, 30)
        XCTAssertTrue(report.runs.isEmpty)
        XCTAssertEqual(report.prompts.count, 30)
        XCTAssertEqual(report.prompts.first?.readings.keys.sorted(), ["base"])
        XCTAssertEqual(report.prompts.first?.readings["base"]?.count, 1)
        XCTAssertTrue(report.prompts.allSatisfy { $0.psnrDB.isEmpty })
        XCTAssertGreaterThanOrEqual(report.timing.totalSeconds, report.timing.loadSeconds + report.timing.baseSeconds)
        XCTAssertTrue(report.humanSummary().hasPrefix("base model: colour "), report.humanSummary())

        try outcome.write(to: directory.appendingPathComponent("out"))
        let json = try Data(contentsOf: directory.appendingPathComponent("out/report.json"))
        let object = try XCTUnwrap(try JSONSerialization.jsonObject(with: json) as? [String: Any])
        XCTAssertEqual(object.keys.sorted(), ["base", "prompts", "runs", "settings", "timing"])
        XCTAssertEqual(try JSONDecoder().decode(EvaluationReport.self, from: json).base, report.base)
        let png = try Data(contentsOf: directory.appendingPathComponent("out/before_after.png"))
        XCTAssertEqual(Array(png.prefix(4)), [0x89, 0x50, 0x4E, 0x47])
    }

    /// At weight 0 the membrane changes no picture; Facilitated Transport changes the pictures
    /// of prompts naming red and leaves every other picture identical; at weight 1 it changes
    /// pictures of other prompts too.
    func testMembraneUnderThreeTransports() throws {
        let red = try activeMembrane(targets: ["red"], name: "red.safetensors")
        var groups: [String] = []
        let evaluation = try ShapesWorldEvaluation(options: options(membranes: [red], transports: [.fixed(0), .facilitated(.meaning), .fixed(1)]))
        XCTAssertEqual(evaluation.targets, [.colour(.red)])
        let outcome = try evaluation.run { progress in
            if groups.last != progress.group { groups.append(progress.group) }
        }
        XCTAssertEqual(groups, ["base", "fixed:0.0", "facilitated", "fixed:1.0"])

        let report = outcome.report
        XCTAssertEqual(report.settings.membranes.map(\.path), [red.path])
        XCTAssertEqual(report.settings.membranes.map(\.targets), [["red"]])
        XCTAssertEqual(report.settings.targets, ["red"])
        XCTAssertEqual(report.settings.transports, ["fixed:0.0", "facilitated", "fixed:1.0"])
        XCTAssertEqual(report.runs.map(\.transport), report.settings.transports)
        for run in report.runs {
            XCTAssertEqual(run.targets.map(\.concept), ["red"])
            XCTAssertEqual(run.targets.first?.pictures, 5)
            XCTAssertEqual(run.others.prompts, 25)
            XCTAssertEqual(run.others.pictures, 25)
        }

        let zero = report.runs[0], facilitated = report.runs[1], full = report.runs[2]
        XCTAssertEqual(zero.others.psnr.identicalPictures, 25)
        XCTAssertEqual(zero.all, report.base)
        XCTAssertEqual(zero.targets.first?.before, zero.targets.first?.after)
        XCTAssertEqual(facilitated.others.psnr.identicalPictures, 25)
        XCTAssertEqual(facilitated.others.colourDropPoints, 0)
        XCTAssertEqual(facilitated.others.shapeDropPoints, 0)
        XCTAssertLessThan(full.others.psnr.identicalPictures, 25)
        XCTAssertLessThan(full.others.psnr.meanDB, MembraneEvaluation.psnrCapDB)

        for entry in report.prompts {
            XCTAssertEqual(entry.readings.keys.sorted(), ["base", "facilitated", "fixed:0.0", "fixed:1.0"])
            XCTAssertEqual(entry.psnrDB["fixed:0.0"], [MembraneEvaluation.psnrCapDB], entry.prompt)
            XCTAssertEqual(entry.readings["fixed:0.0"], entry.readings["base"], entry.prompt)
            let namesRed = entry.prompt.hasPrefix("a red ")
            let facilitatedPSNR = try XCTUnwrap(entry.psnrDB["facilitated"]?.first)
            XCTAssertEqual(facilitatedPSNR < MembraneEvaluation.psnrCapDB, namesRed, entry.prompt)
        }
        XCTAssertNil(report.settings.synonyms)
        XCTAssertNil(report.synonymBase)
        XCTAssertNil(report.synonymPrompts)
        XCTAssertTrue(report.runs.allSatisfy { $0.synonymTargets == nil && $0.otherSynonyms == nil })

        let multipliers = try XCTUnwrap(report.multipliers)
        XCTAssertEqual(multipliers.keys.sorted(), ["facilitated", "fixed:0.0", "fixed:1.0"])
        for prompt in ShapesWorld.prompts {
            XCTAssertEqual(multipliers["fixed:0.0"]?[prompt.text], [0], prompt.text)
            XCTAssertEqual(multipliers["fixed:1.0"]?[prompt.text], [1], prompt.text)
            XCTAssertEqual(multipliers["facilitated"]?[prompt.text], [prompt.colour == .red ? 1 : 0], prompt.text)
        }
        XCTAssertTrue(multipliers.values.allSatisfy { $0.count == 30 })
        XCTAssertEqual(zero.multiplierSummary, MembraneEvaluation.Multipliers(targets: 0, others: 0, othersMaximum: 0))
        XCTAssertEqual(facilitated.multiplierSummary, MembraneEvaluation.Multipliers(targets: 1, others: 0, othersMaximum: 0))
        XCTAssertEqual(full.multiplierSummary, MembraneEvaluation.Multipliers(targets: 1, others: 1, othersMaximum: 1))

        let summary = report.humanSummary()
        XCTAssertTrue(summary.contains("transport facilitated ("), summary)
        XCTAssertTrue(summary.contains("red seen in "), summary)
        XCTAssertTrue(summary.contains("multipliers (mean): 1.00 on target prompts, 0.00 on other prompts (max 0.00)"), summary)
        XCTAssertFalse(summary.contains("synonym"), summary)
    }

    func testRefusesWhatCannotBeEvaluated() throws {
        var noSeeds = options()
        noSeeds.seeds = 0
        XCTAssertThrowsError(try ShapesWorldEvaluation(options: noSeeds)) {
            XCTAssertEqual($0 as? ShapesWorldEvaluationError, .notPositive(option: "seeds", value: 0))
        }
        var targetsAlone = options()
        targetsAlone.targets = [.shape(.circle)]
        XCTAssertThrowsError(try ShapesWorldEvaluation(options: targetsAlone)) {
            XCTAssertEqual($0 as? ShapesWorldEvaluationError, .targetsWithoutMembranes)
        }
        let snoopy = try activeMembrane(targets: ["snoopy"], name: "snoopy.safetensors")
        XCTAssertThrowsError(try ShapesWorldEvaluation(options: options(membranes: [snoopy], transports: [.fixed(1)]))) {
            XCTAssertEqual($0 as? ShapesWorldEvaluationError, .noConceptInTargets(["snoopy"]))
            XCTAssertTrue("\($0)".contains("snoopy"))
        }
        var named = options(membranes: [snoopy], transports: [.fixed(1)])
        named.targets = [.shape(.circle)]
        XCTAssertEqual(try ShapesWorldEvaluation(options: named).targets, [.shape(.circle)])
    }
}
