import StableDiffusion
import XCTest

/// What a request costs in denoising steps, as progress reports count them.
final class GenerationRequestTests: XCTestCase {
    func testTotalStepsCountsEveryBatch() {
        var request = GenerationRequest(prompts: ["a", "b"])
        request.imagesPerPrompt = 5
        request.steps = 3
        request.batchSize = 4
        XCTAssertEqual(request.totalSteps, 9, "10 pictures in batches of 4: 3 batches of 3 steps")
        request.batchSize = 10
        XCTAssertEqual(request.totalSteps, 3)
        request.batchSize = 0
        XCTAssertEqual(request.totalSteps, 30, "a batch size below 1 runs one picture at a time")
    }
}
