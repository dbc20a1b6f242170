import Foundation
@testable import Kernels
import XCTest

/// Deterministic floats for the per-instruction-set kernel tests.
struct TestValues {
    var state: UInt64

    init(seed: UInt64) { state = seed &* 0x9E37_79B9_7F4A_7C15 | 1 }

    /// A float uniform in [-scale, scale] (multiples of scale / 2^20).
    mutating func next(_ scale: Float) -> Float {
        state = state &* 6364136223846793005 &+ 1442695040888963407
        return Float(Int(state >> 43) - (1 << 20)) / Float(1 << 20) * scale
    }

    /// `count` such floats.
    mutating func array(_ count: Int, scale: Float) -> [Float] { (0..<count).map { _ in next(scale) } }
}

/// Runs `body` once under each instruction set this processor runs, with that set active.
func forEachISA(_ body: (KernelISA) throws -> Void) rethrows {
    for isa in supportedISAs { try KernelISA.withActive(isa) { try body(isa) } }
}

/// Asserts `|got - want| <= tolerance` for each element, naming the first few failures.
func assertClose(_ got: [Float], _ want: [Double], tolerance: (Int) -> Double, _ what: String,
                 file: StaticString = #filePath, line: UInt = #line) {
    XCTAssertEqual(got.count, want.count, what, file: file, line: line)
    var failures = 0
    for i in 0..<min(got.count, want.count) where !(abs(Double(got[i]) - want[i]) <= tolerance(i)) {
        failures += 1
        if failures <= 3 {
            XCTFail("\(what) [\(i)]: \(got[i]) vs \(want[i]) (tolerance \(tolerance(i)))", file: file, line: line)
        }
    }
}
