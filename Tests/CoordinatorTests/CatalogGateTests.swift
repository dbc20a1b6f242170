import Coordinator
import Evaluation
import Foundation
import Membranes
import TestSupport
import XCTest

/// Catalog runs with evaluations and gates on the embedded model, read by the ShapesWorld reader.
final class CatalogGateTests: XCTestCase {
    static let redPlan = """
        concept: red
        others: [blue, green]
        templates: ["a {} circle", "a {} square"]
        class_template: "{}"
        images_per_prompt: 2
        steps: 4
        cfg: 3
        """
    static let bluePlan = """
        concept: blue
        others: [red]
        templates: ["a {} circle"]
        class_template: "{}"
        images_per_prompt: 1
        steps: 4
        """
    /// red clears a gate every membrane clears; blue's gate asks for a paraphrase rate its
    /// plan never measures (it has no paraphrases), so it can never pass.
    static let concepts = """
      - name: red
        evaluate: red-eval.yaml
        reader: shapesworld
        gate: {transport: "fixed:1.0", max_target_rate: 1, max_preservation_drop: 1}
      - name: blue
        evaluate: blue-eval.yaml
        reader: shapesworld
        gate: {max_paraphrase_rate: 0.5}
    """

    func testGatePublishesOneHoldsBackTheOtherAndReRunsDoNothing() throws {
        let folder = try Runs.folder()
        defer { try? FileManager.default.removeItem(at: folder) }
        try Self.redPlan.write(to: folder.appendingPathComponent("red-eval.yaml"), atomically: true, encoding: .utf8)
        try Self.bluePlan.write(to: folder.appendingPathComponent("blue-eval.yaml"), atomically: true, encoding: .utf8)
        let catalogURL = try Runs.writeCatalog(in: folder, concepts: Self.concepts, iterations: 2, every: 1)
        let library = Library(directory: folder.appendingPathComponent("lib"))
        let first = try Runs.run(np: 3, catalog: catalogURL, library: library.directory)
        XCTAssertEqual(first.status, CatalogRun.ExitCode.gateFailed, first.err)
        XCTAssertTrue(first.err.contains("blue: missed its gate"), first.err)

        let index = try library.readIndex()
        let red = try XCTUnwrap(index.entries["red"]?.evaluation)
        let blue = try XCTUnwrap(index.entries["blue"]?.evaluation)
        XCTAssertTrue(red.published)
        XCTAssertEqual(red.verdict?.passed, true)
        XCTAssertEqual(index.entries["red"]?.file, "red/red.safetensors")
        XCTAssertTrue(FileManager.default.fileExists(atPath: library.membraneURL("red").path))
        XCTAssertFalse(FileManager.default.fileExists(atPath: library.candidateFolder("red").path))
        XCTAssertTrue(FileManager.default.fileExists(atPath: library.directory.appendingPathComponent(red.report).path))
        XCTAssertFalse(blue.published)
        XCTAssertEqual(blue.verdict?.passed, false)
        XCTAssertEqual(blue.verdict?.reasons.count, 1)
        XCTAssertEqual(index.entries["blue"]?.file, "blue/candidate/blue.safetensors")
        XCTAssertFalse(FileManager.default.fileExists(atPath: library.membraneURL("blue").path))
        XCTAssertTrue(FileManager.default.fileExists(atPath: library.candidateURL("blue").path))
        XCTAssertTrue(FileManager.default.fileExists(atPath: library.directory.appendingPathComponent(blue.report).path))
        for name in ["red", "blue"] { XCTAssertFalse(FileManager.default.fileExists(atPath: library.checkpointURL(name).path)) }
        try checkReportInChromium(library, folder: folder)

        // Unchanged: nothing is trained or evaluated again, and the held-back membrane still counts.
        let stamp = try FileManager.default.attributesOfItem(atPath: library.directory.appendingPathComponent(red.report).path)[.modificationDate] as? Date
        let second = try Runs.run(np: 3, catalog: catalogURL, library: library.directory)
        XCTAssertEqual(second.status, CatalogRun.ExitCode.gateFailed, second.err)
        XCTAssertTrue(second.err.contains("0 trained"), second.err)
        XCTAssertFalse(second.err.contains("evaluating"), second.err)
        XCTAssertEqual(try FileManager.default.attributesOfItem(atPath: library.directory.appendingPathComponent(red.report).path)[.modificationDate] as? Date, stamp)
    }

    /// The evaluation of a membrane spread over a group of two ranks writes the same report as
    /// one process evaluating the published membrane file.
    func testTwoRankEvaluationEqualsOneProcess() throws {
        let folder = try Runs.folder()
        defer { try? FileManager.default.removeItem(at: folder) }
        try Self.redPlan.write(to: folder.appendingPathComponent("red-eval.yaml"), atomically: true, encoding: .utf8)
        let concepts = """
          - name: red
            evaluate: red-eval.yaml
            reader: shapesworld
            gate: {transport: "fixed:1.0", max_target_rate: 1}
        """
        let catalogURL = try Runs.writeCatalog(in: folder, concepts: concepts, iterations: 2, every: 1)
        let library = Library(directory: folder.appendingPathComponent("lib"))
        let run = try Runs.run(np: 3, catalog: catalogURL, library: library.directory, extra: ["--group-size", "2"])
        XCTAssertEqual(run.status, 0, run.err)
        let record = try XCTUnwrap(try library.readIndex().entries["red"]?.evaluation)
        XCTAssertEqual(record.ranks, 2)
        let written = try Data(contentsOf: library.directory.appendingPathComponent(record.report))

        var options = ClassEvaluation.Options(plan: try EvaluationPlan.load(folder.appendingPathComponent("red-eval.yaml")))
        options.membranes = [try Membrane.read(from: library.membraneURL("red"), sites: Runs.model.unet.adapterSites)]
        options.membraneFiles = ["red/red.safetensors"]
        options.transports = [try .init(parsing: "fixed:1.0")]
        options.modelName = Runs.model.directory.lastPathComponent
        let one = ClassEvaluation(options: options, model: Runs.model, scorer: ShapesWorldScorer())
        let report = try one.assemble(try one.results(units: Array(one.prompts.indices))).report
        XCTAssertEqual(String(decoding: try report.json(), as: UTF8.self), String(decoding: written, as: UTF8.self))
    }

    /// The run's report in headless chromium: every grid loaded, both verdicts and the metrics in
    /// the DOM; the screenshot is kept as out/catalog-report-screenshot.png (and as
    /// docs/report-screenshot.png when MEMBRANE_UPDATE_SCREENSHOT=1).
    func checkReportInChromium(_ library: Library, folder: URL) throws {
        let page = library.directory.appendingPathComponent("report/index.html")
        XCTAssertTrue(FileManager.default.fileExists(atPath: page.path), "no report page")
        let chromium = try HeadlessChromium.find(scratch: folder)
        let (dom, check, run) = try chromium.checkedDOM(of: page)
        XCTAssertEqual(run.status, 0, run.stderr)
        let found = try XCTUnwrap(check, "the checker did not run")
        XCTAssertEqual(found.images, ["../red/evaluation/before_after.png", "../blue/candidate/evaluation/before_after.png"])
        XCTAssertEqual(found.broken, [])
        for text in ["<h2>red</h2>", "<h2>blue</h2>", "gate passed", "gate failed", "published", "kept as candidate",
                     ">target rate<", ">preservation<", ">others SSIM<", "paraphrase_rate under facilitated", "a red circle"] {
            XCTAssertTrue(dom.contains(text), "the report's DOM lacks \(text)")
        }
        let screenshot = folder.appendingPathComponent("report.png")
        XCTAssertEqual(try chromium.screenshot(of: page, to: screenshot, width: 1200, height: 1600).status, 0)
        var targets = [Fixtures.repoRoot.appendingPathComponent("out/catalog-report-screenshot.png")]
        if ProcessInfo.processInfo.environment["MEMBRANE_UPDATE_SCREENSHOT"] == "1" {
            targets.append(Fixtures.repoRoot.appendingPathComponent("docs/report-screenshot.png"))
        }
        for target in targets {
            try FileManager.default.createDirectory(at: target.deletingLastPathComponent(), withIntermediateDirectories: true)
            try Data(contentsOf: screenshot).write(to: target, options: .atomic)
        }
    }
}
