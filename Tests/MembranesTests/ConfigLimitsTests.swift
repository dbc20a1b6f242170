import Foundation
import Membranes
import StableDiffusion
import TestSupport
import XCTest

/// Training config values from issue 14 that crashed, hung or trained silently wrong: each is
/// refused when the file is read, naming the file, the key and the allowed range.
final class ConfigLimitsTests: XCTestCase {
    var folder: URL!

    override func setUpWithError() throws {
        folder = FileManager.default.temporaryDirectory.appendingPathComponent("membrane-limits-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
    }

    override func tearDownWithError() throws { try? FileManager.default.removeItem(at: folder) }

    func write(_ text: String, name: String = "config.yaml") throws -> URL {
        let url = folder.appendingPathComponent(name)
        try text.write(to: url, atomically: true, encoding: .utf8)
        return url
    }

    /// `target: red` plus `line`, loaded: must fail naming the file, `key` and its range.
    func assertRefused(_ line: String, key: String, found: String, file: StaticString = #filePath, lineNumber: UInt = #line) throws {
        let url = try write("target: red\n\(line)\n")
        XCTAssertThrowsError(try TrainingConfig.load(url), file: file, line: lineNumber) { error in
            let text = "\(error)"
            let range = ConfigLimits.limit(key).rangeText
            for part in [url.path, "'\(key)'", range, "found \(found)"] {
                XCTAssertTrue(text.contains(part), "'\(part)' not in: \(text)", file: file, line: lineNumber)
            }
        }
    }

    func testIssueCrashCases() throws {
        try assertRefused("iterations: 1.0e+30", key: "iterations", found: "1e+30")
        try assertRefused("iterations: .inf", key: "iterations", found: "inf")
        try assertRefused("seed: 1.0e+30", key: "seed", found: "1e+30")
        try assertRefused("seed: -1", key: "seed", found: "-1")
        try assertRefused("lr_warmup_steps: 9223372036854775807", key: "lr_warmup_steps", found: "9223372036854775807")
        try assertRefused("max_denoising_steps: 1000000", key: "max_denoising_steps", found: "1000000")
        try assertRefused("resolution: 100000", key: "resolution", found: "100000")
    }

    func testIssueHangCases() throws {
        try assertRefused("batch_size: 1000000", key: "batch_size", found: "1000000")
        try assertRefused("sampling_batch_size: 1000000", key: "sampling_batch_size", found: "1000000")
        try assertRefused("iterations: 9223372036854775807", key: "iterations", found: "9223372036854775807")
    }

    func testIssueSilentlyWrongCases() throws {
        try assertRefused("guidance_scale: .nan", key: "guidance_scale", found: "nan")
        try assertRefused("guidance_scale: 1e308", key: "guidance_scale", found: "1e+308")
        try assertRefused("trajectory_guidance: .inf", key: "trajectory_guidance", found: "inf")
        try assertRefused("weight_decay: .nan", key: "weight_decay", found: "nan")
        try assertRefused("adam_epsilon: 0", key: "adam_epsilon", found: "0")
        try assertRefused("lr: -0.1", key: "lr", found: "-0.1")
        try assertRefused("la_strength: .inf", key: "la_strength", found: "inf")
    }

    func testValuesAtTheLimitsAreAccepted() throws {
        let url = try write("target: red\niterations: 10000000\nseed: 9223372036854775807\nguidance_scale: -100\nadam_epsilon: 1\nlr: 1\nbatch_size: 64\n")
        let c = try TrainingConfig.load(url)
        XCTAssertEqual(c.iterations, 10_000_000)
        XCTAssertEqual(c.seed, UInt64(Int.max))
        XCTAssertEqual(c.guidanceScale, -100)
    }

    /// Programmatic configs are checked by the same table.
    func testValidateUsesTheSameTable() throws {
        var c = try TrainingConfig(values: ["target": "red"], source: "x.yaml")
        c.guidanceScale = .nan
        XCTAssertThrowsError(try c.validate(source: "x.yaml")) { XCTAssertTrue("\($0)".contains("'guidance_scale' must be a finite number in [-100, 100]"), "\($0)") }
        c.guidanceScale = 1
        c.seed = .max
        XCTAssertThrowsError(try c.validate(source: "x.yaml")) { XCTAssertTrue("\($0)".contains("'seed'"), "\($0)") }
        c.seed = 0
        c.target = String(repeating: "a", count: ConfigLimits.maxTextBytes + 1)
        XCTAssertThrowsError(try c.validate(source: "x.yaml")) { XCTAssertTrue("\($0)".contains("'target'"), "\($0)") }
    }

    /// Limits that depend on the model: checked before training (SPMObjective runs it too).
    func testModelDependentLimits() throws {
        var c = try TrainingConfig(values: ["target": "red", "max_denoising_steps": 1000, "resolution": 30], source: "x.yaml")
        XCTAssertThrowsError(try c.check(model: Fixtures.model, source: "x.yaml")) {
            XCTAssertTrue("\($0)".contains("x.yaml: 'resolution' must be a multiple of 8"), "\($0)")
        }
        XCTAssertThrowsError(try MembraneTrainer(model: Fixtures.model, config: c))
        c.resolution = 32
        XCTAssertNoThrow(try c.check(model: Fixtures.model, source: "x.yaml"))
        // A model whose scheduler has fewer training timesteps than max_denoising_steps.
        let model = folder.appendingPathComponent("model")
        try FileManager.default.copyItem(at: Fixtures.modelA, to: model)
        let scheduler = model.appendingPathComponent("scheduler/scheduler_config.json")
        var json = try XCTUnwrap(try JSONSerialization.jsonObject(with: Data(contentsOf: scheduler)) as? [String: Any])
        json["num_train_timesteps"] = 500
        try JSONSerialization.data(withJSONObject: json).write(to: scheduler)
        c.maxDenoisingSteps = 600
        XCTAssertThrowsError(try c.check(model: try StableDiffusionModel(directory: model), source: "x.yaml")) {
            XCTAssertTrue("\($0)".contains("'max_denoising_steps' must be at most 500"), "\($0)")
        }
    }

    func testLimitsTableDocumentsEveryNumericKey() {
        let table = ConfigLimits.markdownTable
        for key in ["iterations", "seed", "resolution", "guidance_scale", "adam_epsilon", "checkpoint_every"] {
            XCTAssertTrue(table.contains("`\(key)`"), key)
        }
        XCTAssertTrue(table.contains("\(ConfigLimits.yamlMaxDepth)"))
    }
}

/// configs/README.md shows the limits table exactly as ``ConfigLimits`` makes it.
final class ConfigLimitsDocumentationTests: XCTestCase {
    func testConfigsReadmeHoldsTheLimitsTable() throws {
        let readme = try String(contentsOf: Fixtures.repoRoot.appendingPathComponent("configs/README.md"), encoding: .utf8)
        XCTAssertTrue(readme.contains(ConfigLimits.markdownTable), "configs/README.md's limits table is out of date; it should read:\n\(ConfigLimits.markdownTable)")
    }
}
