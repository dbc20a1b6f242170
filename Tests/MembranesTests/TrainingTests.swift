import Foundation
import Membranes
import StableDiffusion
import TensorEngine
import TestSupport
import XCTest

/// A short training run: the erase loss falls, anchoring stays small, runs are deterministic.
final class TrainingTests: XCTestCase {
    func config(iterations: Int) throws -> TrainingConfig {
        try TrainingConfig(values: [
            "target": "red", "iterations": iterations, "lr": 0.003, "lr_scheduler": "constant", "lr_warmup_steps": 0,
            "max_denoising_steps": 4, "sampling_batch_size": 1, "la_strength": 100, "seed": 7,
        ], source: "test")
    }

    func train(_ c: TrainingConfig) throws -> (MembraneTrainer, [LossParts]) {
        var t = try MembraneTrainer(model: Fixtures.model, config: c)
        var parts: [LossParts] = []
        while t.iteration < c.iterations { parts.append(try t.trainIteration()) }
        return (t, parts)
    }

    func testShortRunLowersEraseLossAndIsDeterministic() throws {
        let c = try config(iterations: 24)
        let fresh = try MembraneTrainer(model: Fixtures.model, config: c)
        let probeAt = Array(1000..<1006)
        let before = fresh.probe(iterations: probeAt)
        let (trained, parts) = try train(c)
        let after = trained.probe(iterations: probeAt)
        print("erase loss before \(before.erase) after \(after.erase); anchoring after \(after.anchoring)")
        XCTAssertLessThan(after.erase, before.erase * 0.8, "erase loss on fixed draws should fall")
        XCTAssertLessThan(after.anchoring, after.erase, "anchoring must stay small next to the erase loss")
        XCTAssertLessThan(before.anchoring, 1e-9, "a fresh membrane (up = 0) leaves anchors untouched (up to batch rounding)")
        XCTAssertTrue(parts.allSatisfy { $0.total.isFinite })
        let (again, _) = try train(c)
        XCTAssertEqual(trained.result().parameters.map(\.scalars), again.result().parameters.map(\.scalars), "same seed and config: bit-identical membrane")
    }

    func testResumeFromCheckpointIsBitIdentical() throws {
        let c = try config(iterations: 6)
        let (straight, _) = try train(c)
        var first = try MembraneTrainer(model: Fixtures.model, config: c)
        for _ in 0..<3 { try first.trainIteration() }
        var resumed = try MembraneTrainer(model: Fixtures.model, config: c, resume: first.checkpoint())
        XCTAssertEqual(resumed.iteration, 3)
        while resumed.iteration < 6 { try resumed.trainIteration() }
        XCTAssertEqual(straight.result().parameters.map(\.scalars), resumed.result().parameters.map(\.scalars))
    }

    func testConfigErrorsNameFileAndKey() {
        XCTAssertThrowsError(try TrainingConfig(values: ["target": "red", "learning_rate": 1], source: "x.yaml")) {
            XCTAssertTrue("\($0)".contains("x.yaml") && "\($0)".contains("learning_rate") && "\($0)".contains("unknown"), "\($0)")
        }
        XCTAssertThrowsError(try TrainingConfig(values: ["target": "red", "lr": "fast"], source: "x.yaml")) {
            XCTAssertTrue("\($0)".contains("'lr'"), "\($0)")
        }
        XCTAssertThrowsError(try TrainingConfig(values: ["positive": "red"], source: "x.yaml")) {
            XCTAssertTrue("\($0)".contains("target"), "\($0)")
        }
    }

    func testLearningRateSchedules() throws {
        var c = try config(iterations: 100)
        c.lrWarmupSteps = 10
        c.lrScheduler = .cosineWithRestarts
        c.lrSchedulerNumCycles = 2
        XCTAssertLessThan(c.learningRate(at: 0), c.lr * 0.2)
        XCTAssertEqual(c.learningRate(at: 10), c.lr, accuracy: 1e-9)
        XCTAssertEqual(c.learningRate(at: 55), c.lr, accuracy: 1e-6, "second cycle restarts at the peak")
        c.lrScheduler = .constant
        XCTAssertEqual(c.learningRate(at: 0), c.lr)
    }

    func testShippedConfigsParse() throws {
        let dir = Fixtures.repoRoot.appendingPathComponent("configs")
        for sub in ["shapesworld", "sd-v1"] {
            // Evaluation files (*-eval.yaml) are checked by EvaluationPlanTests.
            let files = try FileManager.default.contentsOfDirectory(atPath: dir.appendingPathComponent(sub).path)
                .filter { $0.hasSuffix(".yaml") && !$0.hasSuffix("-eval.yaml") }
            XCTAssertFalse(files.isEmpty)
            for f in files { XCTAssertNoThrow(try TrainingConfig.load(dir.appendingPathComponent(sub).appendingPathComponent(f)), f) }
        }
    }
}
