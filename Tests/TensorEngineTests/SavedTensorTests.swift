@testable import TensorEngine
import XCTest

/// A recorded op keeps alive only the buffers its backward reads: an operand is kept for the
/// other operand's gradient, never for its own. A frozen UNet's forward for a membrane gradient
/// would otherwise hold every intermediate sum and layer output until the backward pass.
final class SavedTensorTests: XCTestCase {
    /// Whether the graph behind `record(x)` still holds `x`'s buffer after the caller lets go of
    /// it. `x` is an intermediate that needs a gradient (it descends from a parameter), as in a
    /// network where every activation depends on the membrane.
    private func keeps(_ record: (Tensor) -> Tensor, shape: [Int] = [2, 3, 4, 4], file: StaticString = #filePath,
                       line: UInt = #line) -> Bool {
        var rng = RandomSource(seed: 3)
        let p = Tensor.uniform(shape, in: -1...1, using: &rng).parameter()
        weak var buffer: Storage?
        var out: Tensor?
        do {
            let x = p * 2
            buffer = x.storage
            out = record(x)
        }
        XCTAssertTrue(out?.requiresGrad == true, "the op was not recorded", file: file, line: line)
        let kept = buffer != nil
        out?.sum().backward()
        XCTAssertNotNil(p.grad, "no gradient reached the parameter", file: file, line: line)
        return kept
    }

    func testSumsAndDifferencesKeepNeitherOperand() {
        var rng = RandomSource(seed: 4)
        let frozen = Tensor.uniform([2, 3, 4, 4], in: -1...1, using: &rng)
        XCTAssertFalse(keeps { $0 + frozen })
        XCTAssertFalse(keeps { frozen - $0 })
        XCTAssertFalse(keeps { $0.sum(toShape: [1, 3, 1, 1]) })
        XCTAssertFalse(keeps { $0.padded2d(top: 1, bottom: 0, left: 2, right: 1) })
    }

    func testProductKeepsAnOperandOnlyForTheOtherOnesGradient() {
        var rng = RandomSource(seed: 5)
        let frozen = Tensor.uniform([2, 3, 4, 4], in: -1...1, using: &rng)
        XCTAssertFalse(keeps { $0 * frozen }, "a frozen factor's gradient does not need the other factor")
        let trained = Tensor.uniform([2, 3, 4, 4], in: -1...1, using: &rng).parameter()
        XCTAssertTrue(keeps { $0 * trained })
    }

    func testFrozenLayersDoNotKeepTheirInput() {
        var rng = RandomSource(seed: 6)
        let w = Tensor.uniform([5, 4], in: -1...1, using: &rng), w3 = Tensor.uniform([5, 3, 3, 3], in: -1...1, using: &rng)
        XCTAssertFalse(keeps({ $0.linear(weight: w) }, shape: [6, 4]))
        XCTAssertFalse(keeps({ $0.matmul(w.transposed()) }, shape: [6, 4]))
        XCTAssertFalse(keeps({ $0.batchedMatmul(w.transposed().reshaped([1, 4, 5])) }, shape: [1, 6, 4]))
        XCTAssertFalse(keeps({ $0.conv2d(weight: w3, padding: 1) }, shape: [1, 3, 8, 8]))
        XCTAssertFalse(keeps({ $0.conv2d(weight: w3, padding: 1, winograd: WinogradKernels(w3)) }, shape: [1, 3, 16, 16]))
        XCTAssertTrue(keeps({ $0.linear(weight: w.parameter()) }, shape: [6, 4]), "a trained weight's gradient needs the input")
        XCTAssertTrue(keeps({ $0.conv2d(weight: w3.parameter(), padding: 1) }, shape: [1, 3, 8, 8]))
    }
}
