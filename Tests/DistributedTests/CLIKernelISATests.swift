import Foundation
import XCTest

/// `MEMBRANE_ISA` as the `membrane` command sees it: honoured and reported by `doctor`, refused
/// with a clear message (and exit status 2) when unknown or beyond the processor.
final class CLIKernelISATests: XCTestCase {
    func testDoctorReportsTheForcedInstructionSet() throws {
        let output = try run(["doctor"], isa: "avx2")
        XCTAssertEqual(output.status, 0, "stdout:\n\(output.stdout)\nstderr:\n\(output.stderr)")
        XCTAssertTrue(output.stdout.contains("Membrane's kernels run avx2 (forced by MEMBRANE_ISA"), output.stdout)
    }

    func testDoctorReportsTheBestInstructionSetByDefault() throws {
        let output = try run(["doctor"], isa: nil)
        XCTAssertEqual(output.status, 0, "stdout:\n\(output.stdout)\nstderr:\n\(output.stderr)")
        XCTAssertTrue(output.stdout.contains("(the best this CPU runs;"), output.stdout)
    }

    func testUnknownInstructionSetIsRefused() throws {
        let output = try run(["tokenize", "a cat"], isa: "sse9")
        XCTAssertEqual(output.status, 2, "stdout:\n\(output.stdout)\nstderr:\n\(output.stderr)")
        XCTAssertTrue(output.stderr.contains("MEMBRANE_ISA=sse9 is not an instruction set Membrane knows"), output.stderr)
        let doctor = try run(["doctor"], isa: "sse9")
        XCTAssertEqual(doctor.status, 1)
        XCTAssertTrue(doctor.stdout.contains("ISA      FAILED: MEMBRANE_ISA=sse9"), doctor.stdout)
    }

    func testInstructionSetBeyondTheProcessorIsRefused() throws {
        let flags = try String(contentsOfFile: "/proc/cpuinfo", encoding: .utf8)
        try XCTSkipIf(flags.contains(" avx512f ") && flags.contains(" avx512vl "), "this processor runs AVX-512")
        let output = try run(["tokenize", "a cat"], isa: "avx512")
        XCTAssertEqual(output.status, 2)
        XCTAssertTrue(output.stderr.contains("which this CPU lacks"), output.stderr)
    }

    /// `membrane` with `arguments` and MEMBRANE_ISA set to `isa` (removed when nil).
    private func run(_ arguments: [String], isa: String?) throws -> MembraneBinary.Output {
        let saved = ProcessInfo.processInfo.environment["MEMBRANE_ISA"]
        func apply(_ value: String?) {
            if let value { setenv("MEMBRANE_ISA", value, 1) } else { unsetenv("MEMBRANE_ISA") }
        }
        apply(isa)
        defer { apply(saved) }
        return try MembraneBinary.run(try MembraneBinary.locate(), arguments)
    }
}
