import Foundation
import Membranes
import StableDiffusion
import TestSupport
import XCTest

/// Runs `membrane evaluate` end to end on shapesworld-a with tiny settings.
final class EvaluateCommandTests: XCTestCase {
    private var directory: URL!

    override func setUpWithError() throws {
        directory = FileManager.default.temporaryDirectory.appendingPathComponent("membrane-evaluate-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
    }

    override func tearDownWithError() throws {
        try? FileManager.default.removeItem(at: directory)
    }

    /// A fresh membrane (`up` all zero) changes nothing: after == before for every transport and
    /// every picture is identical to the base model's (PSNR at the cap).
    func testZeroMembraneChangesNothing() throws {
        let membrane = Membrane(sites: Fixtures.model.unet.adapterSites, targets: ["red"], seed: 1)
        let file = directory.appendingPathComponent("red.safetensors")
        try membrane.write(to: file)
        let out = directory.appendingPathComponent("eval")
        let arguments = ["evaluate", "--model", Fixtures.modelA.path, "--membrane", file.path, "--seeds", "1",
                         "--steps", "2", "--transports", "fixed:1.0,facilitated", "--out", out.path]
        let output = try MembraneBinary.run(try MembraneBinary.locate(), arguments, timeout: 900)
        XCTAssertEqual(output.status, 0, "stdout:\n\(output.stdout)\nstderr:\n\(output.stderr)")
        XCTAssertTrue(output.stdout.contains("capped: every picture identical"), output.stdout)
        XCTAssertTrue(output.stdout.contains("multipliers (mean): 1.00 on target prompts, 1.00 on other prompts (max 1.00)"),
                      output.stdout)
        XCTAssertFalse(output.stdout.contains("synonym"), output.stdout)

        let png = try Data(contentsOf: out.appendingPathComponent("before_after.png"))
        XCTAssertEqual(Array(png.prefix(4)), [0x89, 0x50, 0x4E, 0x47])
        let data = try Data(contentsOf: out.appendingPathComponent("report.json"))
        let report = try XCTUnwrap(try JSONSerialization.jsonObject(with: data) as? [String: Any])

        XCTAssertEqual(report.keys.sorted(), ["base", "multipliers", "prompts", "runs", "settings", "timing"])
        let settings = try XCTUnwrap(report["settings"] as? [String: Any])
        XCTAssertNil(settings["synonyms"])
        XCTAssertEqual(settings["targets"] as? [String], ["red"])
        XCTAssertEqual(settings["transports"] as? [String], ["fixed:1.0", "facilitated"])
        XCTAssertEqual(settings["seeds"] as? Int, 1)
        XCTAssertEqual(settings["steps"] as? Int, 2)
        XCTAssertEqual((settings["prompts"] as? [String])?.count, 30)
        let base = try XCTUnwrap(report["base"] as? [String: Any])
        XCTAssertEqual(base["pictures"] as? Int, 30)

        let runs = try XCTUnwrap(report["runs"] as? [[String: Any]])
        XCTAssertEqual(runs.count, 2)
        for run in runs {
            let targets = try XCTUnwrap(run["targets"] as? [[String: Any]])
            XCTAssertEqual(targets.count, 1)
            XCTAssertEqual(targets.first?["concept"] as? String, "red")
            XCTAssertEqual(targets.first?["pictures"] as? Int, 5)
            XCTAssertEqual(targets.first?["before"] as? Double, targets.first?["after"] as? Double)
            let others = try XCTUnwrap(run["others"] as? [String: Any])
            XCTAssertEqual(others["prompts"] as? Int, 25)
            XCTAssertEqual(others["pictures"] as? Int, 25)
            XCTAssertEqual(others["colourDropPoints"] as? Double, 0)
            XCTAssertEqual(others["shapeDropPoints"] as? Double, 0)
            let psnr = try XCTUnwrap(others["psnr"] as? [String: Any])
            XCTAssertEqual(psnr["identicalPictures"] as? Int, 25)
            XCTAssertEqual(psnr["meanDB"] as? Double, psnr["capDB"] as? Double)
            let all = try XCTUnwrap(run["all"] as? [String: Any])
            XCTAssertEqual(all["colour"] as? Double, base["colour"] as? Double)
            XCTAssertEqual(all["shape"] as? Double, base["shape"] as? Double)
            XCTAssertNil(run["synonymTargets"])
            XCTAssertNil(run["otherSynonyms"])
            XCTAssertNotNil(run["multiplierSummary"])
        }
        let multipliers = try XCTUnwrap(report["multipliers"] as? [String: [String: [Double]]])
        XCTAssertEqual(multipliers.keys.sorted(), ["facilitated", "fixed:1.0"])
        XCTAssertEqual(multipliers["fixed:1.0"]?.count, 30)
        XCTAssertTrue(multipliers["fixed:1.0"]?.values.allSatisfy { $0 == [1] } ?? false)
        XCTAssertEqual(multipliers["facilitated"]?["a red circle"], [1])
        XCTAssertEqual(multipliers["facilitated"]?["a blue circle"], [0])

        let prompts = try XCTUnwrap(report["prompts"] as? [[String: Any]])
        XCTAssertEqual(prompts.count, 30)
        let first = try XCTUnwrap(prompts.first?["readings"] as? [String: [String]])
        XCTAssertEqual(first["base"], first["facilitated"])
        XCTAssertEqual(first["base"]?.count, 1)
    }

    /// `--synonyms` adds the synonym prompts of the shared synonyms file to a model without one;
    /// the membrane targets the file's first concept.
    func testSynonymsFileGivesSynonymPrompts() throws {
        let file = try synonymsFile()
        let table = try XCTUnwrap(try JSONSerialization.jsonObject(with: Data(contentsOf: file)) as? [String: [String]])
        let concept = try XCTUnwrap(table.keys.sorted().first { !(table[$0] ?? []).isEmpty })
        let membrane = Membrane(sites: Fixtures.model.unet.adapterSites, targets: [concept], seed: 1)
        let membraneFile = directory.appendingPathComponent("membrane.safetensors")
        try membrane.write(to: membraneFile)
        let out = directory.appendingPathComponent("eval")
        let arguments = ["evaluate", "--model", Fixtures.modelA.path, "--membrane", membraneFile.path, "--seeds", "1",
                         "--steps", "2", "--transport", "facilitated", "--synonyms", file.path, "--batch-size", "64",
                         "--out", out.path]
        let output = try MembraneBinary.run(try MembraneBinary.locate(), arguments, timeout: 900)
        XCTAssertEqual(output.status, 0, "stdout:\n\(output.stdout)\nstderr:\n\(output.stderr)")
        XCTAssertTrue(output.stdout.contains("base model on synonym prompts: "), output.stdout)
        XCTAssertTrue(output.stdout.contains("\(concept) seen in "), output.stdout)
        XCTAssertTrue(output.stdout.contains("by a synonym"), output.stdout)

        let data = try Data(contentsOf: out.appendingPathComponent("report.json"))
        let report = try XCTUnwrap(try JSONSerialization.jsonObject(with: data) as? [String: Any])
        let settings = try XCTUnwrap(report["settings"] as? [String: Any])
        XCTAssertEqual((settings["prompts"] as? [String])?.count, 30)
        let synonyms = try XCTUnwrap(settings["synonyms"] as? [String: Any])
        XCTAssertEqual(synonyms["file"] as? String, file.path)
        XCTAssertEqual(synonyms["words"] as? [String: [String]], table.filter { !$0.value.isEmpty })
        let prompts = try XCTUnwrap(synonyms["prompts"] as? [String])
        XCTAssertFalse(prompts.isEmpty)
        let readings = try XCTUnwrap(report["synonymPrompts"] as? [[String: Any]])
        XCTAssertEqual(readings.compactMap { $0["prompt"] as? String }, prompts)
        XCTAssertEqual((report["synonymBase"] as? [String: Any])?["pictures"] as? Int, prompts.count)

        let run = try XCTUnwrap((report["runs"] as? [[String: Any]])?.first)
        let rates = try XCTUnwrap(run["synonymTargets"] as? [[String: Any]])
        XCTAssertEqual(rates.map { $0["concept"] as? String }, [concept])
        XCTAssertEqual(rates.first?["before"] as? Double, rates.first?["after"] as? Double)
        let others = try XCTUnwrap(run["otherSynonyms"] as? [String: Any])
        XCTAssertEqual((others["psnr"] as? [String: Any])?["identicalPictures"] as? Int, others["pictures"] as? Int)
        let multipliers = try XCTUnwrap((report["multipliers"] as? [String: [String: [Double]]])?["facilitated"])
        XCTAssertEqual(multipliers.count, 30 + prompts.count)
    }

    /// A bad synonyms file stops the command before any picture, with the file named.
    func testRefusesABadSynonymsFile() throws {
        let file = directory.appendingPathComponent("bad-synonyms.json")
        try Data(#"{"snoopy": []}"#.utf8).write(to: file)
        let arguments = ["evaluate", "--model", Fixtures.modelA.path, "--synonyms", file.path, "--out",
                         directory.appendingPathComponent("eval").path]
        let output = try MembraneBinary.run(try MembraneBinary.locate(), arguments)
        XCTAssertNotEqual(output.status, 0)
        XCTAssertTrue(output.stderr.contains("\(file.path): \"snoopy\" is not a ShapesWorld colour or shape"), output.stderr)
    }

    /// The synonyms file of the shared models, found by its name rather than by its model's.
    private func synonymsFile() throws -> URL {
        let models = Fixtures.shared.appendingPathComponent("models")
        let files = try FileManager.default.contentsOfDirectory(at: models, includingPropertiesForKeys: nil)
            .sorted { $0.path < $1.path }.map { $0.appendingPathComponent("SYNONYMS.json") }
        return try XCTUnwrap(files.first { FileManager.default.fileExists(atPath: $0.path) }, "no SYNONYMS.json in \(models.path)")
    }

    func testRefusesTargetsThatAreNoConcept() throws {
        let out = directory.appendingPathComponent("eval")
        let arguments = ["evaluate", "--membrane", "unused.safetensors", "--targets", "red,snoopy", "--out", out.path]
        let output = try MembraneBinary.run(try MembraneBinary.locate(), arguments)
        XCTAssertNotEqual(output.status, 0)
        XCTAssertTrue(output.stderr.contains("'snoopy' is not a ShapesWorld colour or shape"), output.stderr)
    }
}
