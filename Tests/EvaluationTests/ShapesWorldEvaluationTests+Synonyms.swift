import Evaluation
import Foundation
import Membranes
import TestSupport
import XCTest

/// ShapesWorldEvaluation on the shared model with a synonyms file. The target is the first
/// concept of that file, so no word of it is named here.
extension ShapesWorldEvaluationTests {
    func testSynonymPromptsAndMultipliers() throws {
        let model = try SynonymsFixture.model()
        let synonyms = try ShapesWorldSynonyms(contentsOf: try SynonymsFixture.file())
        let target = try XCTUnwrap(synonyms.entries.first).concept
        let membrane = try activeMembrane(targets: [target.name], name: "target.safetensors")
        var options = options(membranes: [membrane], transports: [.fixed(1), .facilitated(.meaning)], model: model)
        options.batchSize = 64
        let report = try ShapesWorldEvaluation(options: options).run().report

        let synonymPrompts = synonyms.prompts
        XCTAssertFalse(synonymPrompts.isEmpty)
        XCTAssertEqual(report.settings.prompts, ShapesWorld.prompts.map(\.text))
        XCTAssertEqual(report.prompts.map(\.prompt), ShapesWorld.prompts.map(\.text))
        XCTAssertEqual(report.base.pictures, ShapesWorld.prompts.count)
        let settings = try XCTUnwrap(report.settings.synonyms)
        XCTAssertEqual(settings.file, try SynonymsFixture.file().path)
        XCTAssertEqual(settings.words, synonyms.table)
        XCTAssertEqual(settings.prompts, synonymPrompts.map(\.text))
        XCTAssertEqual(report.synonymPrompts?.map(\.prompt), settings.prompts)
        XCTAssertEqual(report.synonymBase?.pictures, synonymPrompts.count)
        for entry in report.synonymPrompts ?? [] {
            XCTAssertEqual(entry.readings.keys.sorted(), ["base", "facilitated", "fixed:1.0"], entry.prompt)
            XCTAssertEqual(entry.psnrDB.keys.sorted(), ["facilitated", "fixed:1.0"], entry.prompt)
        }

        let paraphrasing = synonymPrompts.filter { $0.synonym == target }
        let otherSynonymPrompts = synonymPrompts.filter { !target.isNamed(by: $0) }
        for run in report.runs {
            XCTAssertEqual(run.targets.map(\.concept), [target.name])
            XCTAssertEqual(run.others.pictures, ShapesWorld.prompts.filter { !target.isNamed(by: $0) }.count)
            let rates = try XCTUnwrap(run.synonymTargets)
            XCTAssertEqual(rates.map(\.concept), [target.name])
            XCTAssertEqual(rates.first?.pictures, paraphrasing.count)
            XCTAssertTrue(rates.allSatisfy { (0...1).contains($0.before) && (0...1).contains($0.after) })
            XCTAssertEqual(rates.first?.before, report.runs.first?.synonymTargets?.first?.before)
            let others = try XCTUnwrap(run.otherSynonyms)
            XCTAssertEqual(others.prompts, otherSynonymPrompts.count)
            XCTAssertEqual(others.pictures, otherSynonymPrompts.count)
        }

        let all = ShapesWorld.prompts + synonymPrompts
        let table = try XCTUnwrap(report.multipliers)
        XCTAssertEqual(table.keys.sorted(), ["facilitated", "fixed:1.0"])
        for (name, byPrompt) in table {
            XCTAssertEqual(Set(byPrompt.keys), Set(all.map(\.text)), name)
            XCTAssertTrue(byPrompt.values.allSatisfy { $0.count == 1 }, name)
        }
        XCTAssertTrue(try XCTUnwrap(table["fixed:1.0"]).values.allSatisfy { $0 == [1] })
        let facilitated = try XCTUnwrap(table["facilitated"])
        for prompt in all where target.isNamed(by: prompt) && prompt.synonym != target {
            XCTAssertEqual(facilitated[prompt.text], [1], prompt.text)
        }
        for prompt in ShapesWorld.prompts where !target.isNamed(by: prompt) {
            XCTAssertEqual(facilitated[prompt.text], [0], prompt.text)
        }
        XCTAssertTrue(facilitated.values.allSatisfy { $0.allSatisfy { (0...1).contains($0) } })
        XCTAssertEqual(report.runs[0].multiplierSummary,
                       MembraneEvaluation.Multipliers(targets: 1, targetSynonyms: 1, others: 1, othersMaximum: 1))
        let summary = try XCTUnwrap(report.runs[1].multiplierSummary)
        XCTAssertEqual(summary.targets, 1)
        let paraphrasingValues = paraphrasing.compactMap { facilitated[$0.text]?.first }
        let paraphrasingMean = paraphrasingValues.map(Double.init).reduce(0, +) / Double(paraphrasingValues.count)
        XCTAssertEqual(try XCTUnwrap(summary.targetSynonyms), paraphrasingMean, accuracy: 1e-9)

        // Where Facilitated Transport gives 0 the membrane is off: those pictures are the base model's.
        let untouched = otherSynonymPrompts.filter { facilitated[$0.text] == [0] }.count
        XCTAssertEqual(report.runs[1].otherSynonyms?.psnr.identicalPictures, untouched)
        if paraphrasingValues.allSatisfy({ $0 == 0 }) {
            let rate = try XCTUnwrap(report.runs[1].synonymTargets?.first)
            XCTAssertEqual(rate.after, rate.before)
        }

        let text = report.humanSummary()
        XCTAssertTrue(text.contains("base model on synonym prompts: "), text)
        XCTAssertTrue(text.contains("pictures of prompts naming it by a synonym ("), text)
        XCTAssertTrue(text.contains("other synonym prompts (\(otherSynonymPrompts.count) pictures)"), text)
        XCTAssertTrue(text.contains("multipliers (mean): 1.00 on target prompts, 1.00 on target synonyms"), text)

        let object = try XCTUnwrap(try JSONSerialization.jsonObject(with: report.json()) as? [String: Any])
        XCTAssertEqual(object.keys.sorted(), ["base", "multipliers", "prompts", "runs", "settings", "synonymBase",
                                              "synonymPrompts", "timing"])
        let run = try XCTUnwrap((object["runs"] as? [[String: Any]])?.first)
        XCTAssertEqual(run.keys.sorted(), ["all", "multiplierSummary", "otherSynonyms", "others", "seconds",
                                           "synonymTargets", "targets", "transport"])
        let decoded = try JSONDecoder().decode(EvaluationReport.self, from: report.json())
        XCTAssertEqual(decoded.runs.map(\.synonymTargets), report.runs.map(\.synonymTargets))
        XCTAssertEqual(decoded.multipliers, report.multipliers)
    }

    func testSynonymsOptionWinsOverTheModelFolder() throws {
        let first = try XCTUnwrap(try ShapesWorldSynonyms(contentsOf: try SynonymsFixture.file()).entries.first)
        let table = [first.concept.name: Array(first.words.prefix(1))]
        let file = directory.appendingPathComponent("mine.json")
        try JSONEncoder().encode(table).write(to: file)
        var options = options(model: try SynonymsFixture.model())
        options.synonyms = file
        let evaluation = try ShapesWorldEvaluation(options: options)
        XCTAssertEqual(evaluation.synonymsFile, file)
        XCTAssertEqual(evaluation.synonyms?.table, table)
        XCTAssertNil(try ShapesWorldEvaluation(options: self.options()).synonyms)
    }

    func testRefusesABadSynonymsFileNamingIt() throws {
        let unknown = directory.appendingPathComponent("unknown.json")
        try Data(#"{"snoopy": []}"#.utf8).write(to: unknown)
        let notJSON = directory.appendingPathComponent("not.json")
        try Data("not json".utf8).write(to: notJSON)
        for (file, error) in [(unknown, ShapesWorldSynonymsError.unknownConcept(file: unknown.path, key: "snoopy")),
                              (notJSON, .notJSON(file: notJSON.path))] {
            var options = options(model: try SynonymsFixture.model())
            options.synonyms = file
            XCTAssertThrowsError(try ShapesWorldEvaluation(options: options)) {
                XCTAssertEqual($0 as? ShapesWorldSynonymsError, error)
                XCTAssertTrue("\($0)".contains(file.path), "\($0)")
            }
        }
    }
}
