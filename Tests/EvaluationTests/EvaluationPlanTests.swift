import Evaluation
import Foundation
import Images
import Membranes
import XCTest

/// Evaluation files, gates, readers and SSIM.
final class EvaluationPlanTests: XCTestCase {
    func plan(_ yaml: String) throws -> EvaluationPlan {
        try EvaluationPlan(values: try loadYAMLMapping(Data(yaml.utf8), source: "plan.yaml"), file: "plan.yaml")
    }

    func assertProblem(_ yaml: String, key: String, contains text: String, line: UInt = #line) {
        XCTAssertThrowsError(try plan(yaml), line: line) { error in
            guard let error = error as? EvaluationPlanError else { return XCTFail("\(error)", line: line) }
            XCTAssertEqual(error.file, "plan.yaml", line: line)
            XCTAssertEqual(error.key, key, line: line)
            XCTAssertTrue(error.problem.contains(text), "\(error)", line: line)
        }
    }

    func testDefaults() throws {
        let p = try plan("concept: snoopy\nothers: [a cat]\n")
        XCTAssertEqual(p.templates, ["{}"])
        XCTAssertEqual(p.classTemplate, "a photo of {}")
        XCTAssertEqual(p.imagesPerPrompt, 4)
        XCTAssertEqual(p.steps, 30)
        XCTAssertEqual(p.cfg, 7.5)
        XCTAssertEqual(p.classes, [EvaluationClass(name: "snoopy", text: "a photo of snoopy"), EvaluationClass(name: "a cat", text: "a photo of a cat")])
    }

    func testShippedEvaluationFilesParse() throws {
        let configs = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
            .appendingPathComponent("configs")
        var count = 0
        for sub in ["shapesworld", "sd-v1"] {
            let folder = configs.appendingPathComponent(sub)
            for file in try FileManager.default.contentsOfDirectory(atPath: folder.path) where file.hasSuffix("-eval.yaml") {
                XCTAssertNoThrow(try EvaluationPlan.load(folder.appendingPathComponent(file)), file)
                count += 1
            }
        }
        XCTAssertGreaterThanOrEqual(count, 2)
    }

    func testBadFilesNameTheKey() {
        assertProblem("others: [a]\n", key: "concept", contains: "required")
        assertProblem("concept: x\n", key: "others", contains: "required")
        assertProblem("concept: x\nothers: []\n", key: "others", contains: "empty")
        assertProblem("concept: x\nothers: [y]\ncolour: red\n", key: "colour", contains: "unknown key")
        assertProblem("concept: x\nothers: [y]\ntemplates: [\"a photo\"]\n", key: "templates[0]", contains: "'{}'")
        assertProblem("concept: x\nothers: [y]\nclass_template: \"{} and {}\"\n", key: "class_template", contains: "'{}'")
        assertProblem("concept: x\nothers: [y, X]\n", key: "others", contains: "twice")
        assertProblem("concept: x\nothers: [y]\nimages_per_prompt: 0\n", key: "images_per_prompt", contains: "1...64")
        assertProblem("concept: x\nothers: [y]\nsteps: 2.5\n", key: "steps", contains: "whole number")
        assertProblem("concept: x\nothers: [y]\ncfg: .nan\n", key: "cfg", contains: "number in")
        assertProblem("concept: x\nothers: [y]\nparaphrases: [\"\"]\n", key: "paraphrases[0]", contains: "empty")
        assertProblem("concept: x\nothers: [y]\nparaphrases: [[1]]\n", key: "paraphrases[0]", contains: "expected text")
        let many = (0..<300).map { "o\($0)" }.joined(separator: ", ")
        assertProblem("concept: x\nothers: [\(many)]\n", key: "others", contains: "at most")
    }

    func testGateParsing() throws {
        let gate = try EvaluationGate(value: ["max_target_rate": 0.1, "transport": "fixed:1.0"], file: "c.yaml", key: "gate")
        XCTAssertEqual(gate, EvaluationGate(transport: "fixed:1.0", maxTargetRate: 0.1))
        XCTAssertThrowsError(try EvaluationGate(value: ["max_target_rate": 2], file: "c.yaml", key: "gate")) { error in
            XCTAssertEqual((error as? EvaluationPlanError)?.key, "gate.max_target_rate")
        }
        XCTAssertThrowsError(try EvaluationGate(value: ["transport": "fixed:1.0"], file: "c.yaml", key: "gate"))
        XCTAssertThrowsError(try EvaluationGate(value: ["max_drop": 0.1], file: "c.yaml", key: "gate"))
        XCTAssertThrowsError(try EvaluationGate(value: "strict", file: "c.yaml", key: "gate"))
    }

    func testReaders() throws {
        XCTAssertEqual(try EvaluationReader(parsing: "shapesworld"), .shapesworld)
        XCTAssertEqual(try EvaluationReader(parsing: "clip:/m/clip"), .clip(folder: "/m/clip"))
        XCTAssertEqual(try EvaluationReader(parsing: "clip:m/clip", relativeTo: URL(fileURLWithPath: "/cat")), .clip(folder: "/cat/m/clip"))
        XCTAssertThrowsError(try EvaluationReader(parsing: "clip:"))
        XCTAssertThrowsError(try EvaluationReader(parsing: "blip:/x"))
        XCTAssertThrowsError(try ShapesWorldScorer.check([EvaluationClass(name: "snoopy", text: "snoopy")]))
    }

    func testSSIM() throws {
        var pixels: [UInt8] = []
        for i in 0..<(16 * 12 * 3) { pixels.append(UInt8((i * 37) % 256)) }
        let a = try Image(width: 16, height: 12, channels: 3, pixels: pixels)
        XCTAssertEqual(try SSIM.mean(a, a), 1, accuracy: 1e-12)
        let b = try Image(width: 16, height: 12, channels: 3, pixels: pixels.map { $0 / 2 + 20 })
        let ab = try SSIM.mean(a, b)
        XCTAssertEqual(ab, try SSIM.mean(b, a), accuracy: 1e-12)
        XCTAssertLessThan(ab, 0.99)
        // Two flat pictures: (2 x y + C1) / (x^2 + y^2 + C1), the structure term being 1.
        let x = try Image(width: 8, height: 8, channels: 1, fill: 51), y = try Image(width: 8, height: 8, channels: 1, fill: 153)
        let c1 = 0.01 * 0.01
        XCTAssertEqual(try SSIM.mean(x, y), (2 * 0.2 * 0.6 + c1) / (0.04 + 0.36 + c1), accuracy: 1e-9)
        XCTAssertThrowsError(try SSIM.mean(x, a))
    }
}
