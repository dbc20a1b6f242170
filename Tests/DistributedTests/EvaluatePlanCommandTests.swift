import Foundation
import Membranes
import StableDiffusion
import TestSupport
import XCTest

/// `membrane evaluate --eval FILE --reader R` end to end on shapesworld-a with tiny settings.
final class EvaluatePlanCommandTests: XCTestCase {
    private var directory: URL!

    override func setUpWithError() throws {
        directory = FileManager.default.temporaryDirectory.appendingPathComponent("membrane-evaluate-plan-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
    }

    override func tearDownWithError() throws {
        try? FileManager.default.removeItem(at: directory)
    }

    func writePlan(_ text: String, name: String = "eval.yaml") throws -> URL {
        let url = directory.appendingPathComponent(name)
        try text.write(to: url, atomically: true, encoding: .utf8)
        return url
    }

    /// Runs `membrane evaluate` with `reader` on a one-picture plan and returns report.json.
    func evaluate(reader: String, plan: String) throws -> [String: Any] {
        let membrane = Membrane(sites: Fixtures.model.unet.adapterSites, targets: ["red"], seed: 1)
        let file = directory.appendingPathComponent("red.safetensors")
        try membrane.write(to: file)
        let out = directory.appendingPathComponent("out")
        let arguments = ["evaluate", "--model", Fixtures.modelA.path, "--membrane", file.path, "--eval", try writePlan(plan).path,
                         "--reader", reader, "--transports", "fixed:1.0,facilitated", "--out", out.path]
        let output = try MembraneBinary.run(try MembraneBinary.locate(), arguments, timeout: 900)
        XCTAssertEqual(output.status, 0, "stdout:\n\(output.stdout)\nstderr:\n\(output.stderr)")
        XCTAssertTrue(output.stdout.contains("fixed:1.0: target"), output.stdout)
        XCTAssertNoThrow(try Data(contentsOf: out.appendingPathComponent("before_after.png")))
        let data = try Data(contentsOf: out.appendingPathComponent("report.json"))
        let report = try XCTUnwrap(try JSONSerialization.jsonObject(with: data) as? [String: Any])
        let pictures = try XCTUnwrap(report["pictures"] as? [[String: Any]])
        for picture in pictures {
            let path = try XCTUnwrap(picture["file"] as? String)
            XCTAssertTrue(FileManager.default.fileExists(atPath: out.appendingPathComponent(path).path), path)
            for key in ["prompt", "expected", "transport", "scores"] { XCTAssertNotNil(picture[key], key) }
        }
        return report
    }

    static let plan = """
        concept: red
        others: [blue]
        templates: ["a {} circle"]
        class_template: "{}"
        images_per_prompt: 1
        steps: 2
        """

    /// A zero membrane changes nothing: every transport's rates equal the base model's.
    func testShapesWorldReader() throws {
        let report = try evaluate(reader: "shapesworld", plan: Self.plan)
        XCTAssertEqual((report["pictures"] as? [Any])?.count, 2 * 3)
        let base = try XCTUnwrap(report["base"] as? [String: Any])
        for run in try XCTUnwrap(report["runs"] as? [[String: Any]]) {
            XCTAssertEqual(run["targetRate"] as? Double, base["targetRate"] as? Double)
            XCTAssertEqual(run["preservationDrop"] as? Double, 0)
            XCTAssertEqual(run["othersSSIM"] as? Double, 1)
        }
    }

    /// The tiny random CLIP fixture as reader: 100 x cosine per class, CLIP scores per prompt.
    func testCLIPReader() throws {
        let clip = Fixtures.repoRoot.appendingPathComponent("Tests/CLIPTests/Fixtures/quickgelu")
        let plan = Self.plan.replacingOccurrences(of: "class_template: \"{}\"", with: "class_template: \"a photo of {}\"")
            + "\nparaphrases: [\"a crimson circle\"]\n"
        let report = try evaluate(reader: "clip:\(clip.path)", plan: plan)
        let settings = try XCTUnwrap(report["settings"] as? [String: Any])
        XCTAssertEqual(settings["reader"] as? String, "clip:\(clip.path)")
        let pictures = try XCTUnwrap(report["pictures"] as? [[String: Any]])
        XCTAssertEqual(pictures.count, 3 * 3)
        for picture in pictures {
            let scores = try XCTUnwrap(picture["scores"] as? [String: Double])
            XCTAssertEqual(Set(scores.keys), ["red", "blue"])
            XCTAssertTrue(scores.values.allSatisfy { abs($0) <= 100 })
            let best = try XCTUnwrap(scores.max { $0.value < $1.value }?.key)
            XCTAssertEqual(picture["predicted"] as? String, best)
            XCTAssertNotNil(picture["clipScore"] as? Double)
        }
        let base = try XCTUnwrap(report["base"] as? [String: Any])
        XCTAssertNotNil(base["meanClipScore"] as? Double)
        XCTAssertEqual((base["clipScores"] as? [String: Double])?.count, 3)
        XCTAssertNotNil(base["paraphraseRate"] as? Double)
    }

    func testBadPlansAndReadersAreRefusedBeforeWork() throws {
        let cases: [([String], String)] = [
            (["--reader", "clip:/nowhere"], "needs --eval"),
            (["--eval", try writePlan("concept: snoopy\nothers: [a cat]\n", name: "snoopy.yaml").path, "--reader", "shapesworld"], "'snoopy' is neither"),
            (["--eval", try writePlan("concept: red\n", name: "no-others.yaml").path], "'others' is required"),
            (["--eval", try writePlan(Self.plan).path, "--reader", "vit"], "neither shapesworld nor clip:DIR"),
            (["--eval", try writePlan(Self.plan).path, "--reader", "clip:\(directory.path)"], "config.json"),
        ]
        for (extra, expected) in cases {
            let output = try MembraneBinary.run(try MembraneBinary.locate(),
                                                ["evaluate", "--model", Fixtures.modelA.path, "--out", directory.appendingPathComponent("x").path] + extra)
            XCTAssertNotEqual(output.status, 0)
            XCTAssertTrue((output.stderr + output.stdout).contains(expected), "\(extra): \(output.stderr)")
            XCTAssertFalse(FileManager.default.fileExists(atPath: directory.appendingPathComponent("x").path))
        }
    }
}
