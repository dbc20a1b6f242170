import Foundation
@testable import Membranes
import StableDiffusion
import TensorEngine
import TestSupport
import XCTest

/// The trainer splits a unit's membrane pass into blocks of rows with their own parameter copies
/// and backward passes; the summed gradient must be the gradient of the whole unit's loss.
final class TrainerBlockTests: XCTestCase {
    func testBlockGradientsAddUpToTheWholeUnitGradient() throws {
        // 3 anchors: blocks of 2 and 2 rows. 4 anchors (red.yaml's): blocks of 2 and 3 rows, and
        // block 0 runs the original model on one of block 1's anchors and hands it over.
        for anchors in [3, 4] { try checkBlocksAddUp(anchors: anchors) }
    }

    func checkBlocksAddUp(anchors: Int) throws {
        let config = try TrainingConfig(values: [
            "target": "red", "iterations": 4, "max_denoising_steps": 3, "sampling_batch_size": anchors, "la_strength": 50, "seed": 11,
        ], source: "test")
        var trainer = try MembraneTrainer(model: Fixtures.model, config: config)
        try trainer.trainIteration() // up != 0 afterwards, so every parameter has a gradient
        var split = ParameterVector(zeros: trainer.gradientLength)
        let parts = trainer.accumulate(units: 0..<1, into: &split)

        let (loss, whole) = trainer.objective.unitLoss(iteration: trainer.iteration, unit: 0, membrane: trainer.membrane)
        loss.backward()
        var reference: [Float] = []
        for p in trainer.membrane.parameters {
            reference += p.grad?.scalars ?? [Float](repeating: 0, count: p.count)
            p.zeroGrad()
        }
        var diff = 0.0, norm = 0.0
        for i in reference.indices {
            diff += Double(split.values[i] - reference[i]) * Double(split.values[i] - reference[i])
            norm += Double(reference[i]) * Double(reference[i])
        }
        XCTAssertGreaterThan(norm, 0)
        // Rows' contributions are summed in another order (per block, then across blocks): float32
        // rounding only. A missing or doubled row would be off by tens of percent.
        XCTAssertLessThan((diff / norm).squareRoot(), 1e-4)
        XCTAssertEqual(Double(parts.erase), Double(whole.erase), accuracy: 1e-6 * Double(abs(whole.erase)) + 1e-12)
        XCTAssertEqual(Double(parts.anchoring), Double(whole.anchoring), accuracy: 1e-5 * Double(abs(whole.anchoring)) + 1e-12)
        XCTAssertEqual(Double(parts.total), Double(whole.total), accuracy: 1e-5 * Double(abs(whole.total)))
    }

    func testTrajectoryAtGuidanceOneSkipsTheUnconditionalRowWithTheSameResult() throws {
        func z(_ guidance: Double) throws -> Tensor {
            let config = try TrainingConfig(values: [
                "target": "red", "max_denoising_steps": 6, "sampling_batch_size": 1, "seed": 5, "trajectory_guidance": guidance,
            ], source: "test")
            var trainer = try MembraneTrainer(model: Fixtures.model, config: config)
            try trainer.trainIteration()
            return trainer.objective.draw(iteration: 3, unit: 0, membrane: trainer.membrane).z
        }
        // 1 takes the one-row path; a hair above 1 takes the two-row CFG path.
        XCTAssertLessThan(relativeError(try z(1), try z(1.000001)), 1e-4)
    }
}
