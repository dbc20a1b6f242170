import Foundation
import StableDiffusion
import TensorEngine
import TestSupport
import XCTest

final class PipelineTests: XCTestCase {
    func request(_ prompts: [String], seed: UInt64 = 0, steps: Int = 4) -> GenerationRequest {
        var r = GenerationRequest(prompts: prompts)
        r.steps = steps
        r.guidance = 5
        r.seed = seed
        return r
    }

    func testDeterministicPerSeedAndIndependentOfBatch() throws {
        let m = Fixtures.model
        let a = try m.generate(request(["a red circle", "a blue square"]))
        let b = try m.generate(request(["a red circle", "a blue square"]))
        XCTAssertEqual(a.count, 2)
        XCTAssertEqual(a[0].shape, [3, 32, 32])
        XCTAssertEqual(a[0].scalars, b[0].scalars)
        XCTAssertEqual(a[1].scalars, b[1].scalars)
        // The same prompt and seed alone in its batch gives the same picture (to float rounding
        // of batched BLAS calls).
        let alone = try m.generate(request(["a blue square"]))
        XCTAssertLessThan(relativeError(alone[0], a[1]), 1e-4)
        let other = try m.generate(request(["a blue square"], seed: 1))
        XCTAssertGreaterThan(relativeError(other[0], a[1]), 1e-2)
    }

    func testImagesPerPromptArePromptMajorWithDistinctNoise() throws {
        var r = request(["a red circle", "a green cross"])
        r.imagesPerPrompt = 2
        r.batchSize = 3
        let images = try Fixtures.model.generate(r)
        XCTAssertEqual(images.count, 4)
        XCTAssertGreaterThan(relativeError(images[0], images[1]), 1e-2)
        let single = try Fixtures.model.generate(request(["a green cross"], seed: 1))
        XCTAssertLessThan(relativeError(single[0], images[3]), 1e-4)
    }

    func testEulerAncestralProducesImages() throws {
        var r = request(["a yellow triangle"], steps: 6)
        r.sampler = .eulerAncestral
        let images = try Fixtures.model.generate(r)
        XCTAssertTrue(images[0].scalars.allSatisfy { $0.isFinite && abs($0) < 3 })
    }

    func testBadImageSizeIsRefused() {
        var r = request(["a red circle"])
        r.width = 30
        XCTAssertThrowsError(try Fixtures.model.generate(r)) { XCTAssertTrue("\($0)".contains("multiple of")) }
    }
}
