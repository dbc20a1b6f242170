@testable import Kernels
import XCTest

/// The choice of instruction set: the processor's best by default, `MEMBRANE_ISA` honoured
/// when the processor runs it, refused with a message naming the problem otherwise.
final class KernelISATests: XCTestCase {
    let avx512: CPUFeatures = CPUFeatures.avx512SkylakeX.union([.sse42, .avx, .avx2, .fma])
    let avx2: CPUFeatures = [.sse42, .avx, .avx2, .fma]

    func testBestFollowsTheFeatures() {
        XCTAssertEqual(KernelISA.best(for: avx512), .avx512)
        XCTAssertEqual(KernelISA.best(for: avx2), .avx2)
        XCTAssertEqual(KernelISA.best(for: [.sse42, .avx, .avx2]), .generic, "AVX2 without FMA")
        XCTAssertEqual(KernelISA.best(for: avx2.union([.avx512F])), .avx2, "AVX-512F alone is not enough")
        XCTAssertEqual(KernelISA.best(for: []), .generic)
    }

    func testWithoutTheVariableTheBestIsChosen() throws {
        let choice = try KernelISA.choose(environment: [:], features: avx512).get()
        XCTAssertEqual(choice, KernelISAChoice(isa: .avx512, forced: false, best: .avx512))
        XCTAssertEqual(try KernelISA.choose(environment: ["MEMBRANE_ISA": ""], features: avx2).get().isa, .avx2)
        XCTAssertTrue(choice.explanation.hasPrefix("avx512 (the best this CPU runs"), choice.explanation)
    }

    func testTheVariableForcesAWeakerInstructionSet() throws {
        for (value, isa) in [("avx2", KernelISA.avx2), ("generic", .generic), ("AVX2", .avx2), ("avx512", .avx512)] {
            let choice = try KernelISA.choose(environment: ["MEMBRANE_ISA": value], features: avx512).get()
            XCTAssertEqual(choice, KernelISAChoice(isa: isa, forced: true, best: .avx512), value)
        }
        let forced = try KernelISA.choose(environment: ["MEMBRANE_ISA": "avx2"], features: avx512).get()
        XCTAssertEqual(forced.explanation, "avx2 (forced by MEMBRANE_ISA; this CPU runs up to avx512)")
    }

    func testUnknownNamesAreRefused() {
        for value in ["sse9", "avx-512", "scalar ", "native"] {
            guard case .failure(let error) = KernelISA.choose(environment: ["MEMBRANE_ISA": value], features: avx512) else {
                return XCTFail("\(value) accepted")
            }
            XCTAssertEqual(error.description, "MEMBRANE_ISA=\(value) is not an instruction set Membrane knows (one of: generic, avx2, avx512)")
        }
    }

    func testInstructionSetsBeyondTheProcessorAreRefused() {
        guard case .failure(let error) = KernelISA.choose(environment: ["MEMBRANE_ISA": "avx512"], features: avx2) else {
            return XCTFail("avx512 accepted on an AVX2 processor")
        }
        XCTAssertTrue(error.description.hasPrefix("MEMBRANE_ISA=avx512 needs AVX-512F AVX-512BW AVX-512VL AVX-512DQ, which this CPU lacks"),
                      error.description)
        XCTAssertTrue(error.description.hasSuffix("(it runs up to avx2)"), error.description)
        guard case .failure = KernelISA.choose(environment: ["MEMBRANE_ISA": "avx2"], features: [.sse42]) else {
            return XCTFail("avx2 accepted without AVX2")
        }
    }

    /// This process runs what its own environment and processor give.
    func testThisProcessHonoursItsEnvironment() throws {
        let expected = KernelISA.choose(environment: ProcessInfo.processInfo.environment, features: .current)
        XCTAssertEqual(KernelISA.selection, expected)
        XCTAssertEqual(KernelISA.active, (try? expected.get())?.isa ?? KernelISA.best(for: .current))
        XCTAssertTrue(KernelISA.active.runs(on: .current))
    }

    /// On this machine (Intel Xeon with AVX-512 F/BW/VL/DQ) both vector paths are available.
    func testThisProcessorRunsBothVectorPaths() throws {
        try XCTSkipUnless(KernelISA.avx512.runs(on: .current), "this processor has no AVX-512")
        XCTAssertEqual(KernelISA.best(for: .current), .avx512)
        KernelISA.withActive(.avx2) { XCTAssertEqual(KernelISA.active, .avx2) }
        KernelISA.withActive(.generic) { XCTAssertFalse(smallGemmAvailable) }
    }
}

/// The instruction sets this processor runs, for tests that check each against one reference.
let supportedISAs = KernelISA.allCases.filter { $0.runs(on: .current) }
