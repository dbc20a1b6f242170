import Foundation
import XCTest

/// Runs the `membrane` command itself.
final class CLITests: XCTestCase {
    func testDoctorReportsEveryLibrary() throws {
        let output = try MembraneBinary.run(try MembraneBinary.locate(), ["doctor"])
        XCTAssertEqual(output.status, 0, "stdout:\n\(output.stdout)\nstderr:\n\(output.stderr)")
        for expected in ["OpenBLAS", "threads", "Open MPI", "ZeroMQ", "libpng", "cores", "GiB total"] {
            XCTAssertTrue(output.stdout.contains(expected), "missing \(expected) in:\n\(output.stdout)")
        }
        XCTAssertTrue(output.stdout.contains("doctor: all checks passed"), output.stdout)
    }

    func testDoctorFailsWithAClearMessage() throws {
        let output = try MembraneBinary.run(try MembraneBinary.locate(), ["doctor", "--simulate-failure", "MPI"])
        XCTAssertEqual(output.status, 1)
        XCTAssertTrue(output.stderr.contains("doctor: FAILED: MPI: simulated failure"), output.stderr)
    }

    /// Without OPENBLAS_CORETYPE, a processor with AVX2 runs OpenBLAS kernels that use it, whether
    /// OpenBLAS knows the model or membrane chose from cpuid and re-executed itself.
    func testDoctorRunsAVX2KernelsWithoutOpenBLASCoretype() throws {
        let output = try doctor(environment: ["OPENBLAS_CORETYPE": nil, "MEMBRANE_BLAS_REEXEC": nil])
        XCTAssertEqual(output.status, 0, "stdout:\n\(output.stdout)\nstderr:\n\(output.stderr)")
        XCTAssertFalse(output.stderr.contains("could not re-execute"), output.stderr)
        let kernels = try kernelsLine(output.stdout)
        XCTAssertFalse(kernels.contains("set by the user"), kernels)
        try XCTSkipUnless(try cpuFlags().isSuperset(of: ["avx2", "fma"]), "this processor has no AVX2 and FMA")
        for weaker in ["Prescott", "Core2", "Nehalem", "Sandybridge", "Unknown"] {
            XCTAssertFalse(kernels.contains("OpenBLAS runs \(weaker) "), kernels)
        }
    }

    func testDoctorKeepsTheUsersOpenBLASCoretype() throws {
        try XCTSkipUnless(try cpuFlags().isSuperset(of: ["avx2", "fma"]), "Haswell kernels need AVX2 and FMA")
        let output = try doctor(environment: ["OPENBLAS_CORETYPE": "Haswell", "MEMBRANE_BLAS_REEXEC": nil])
        XCTAssertEqual(output.status, 0, "stdout:\n\(output.stdout)\nstderr:\n\(output.stderr)")
        let kernels = try kernelsLine(output.stdout)
        XCTAssertTrue(kernels.contains("OpenBLAS runs Haswell (OPENBLAS_CORETYPE=Haswell set by the user)"), kernels)
    }

    func testHelpListsDoctorButHidesSelftest() throws {
        let output = try MembraneBinary.run(try MembraneBinary.locate(), ["--help"])
        XCTAssertEqual(output.status, 0)
        XCTAssertTrue(output.stdout.contains("doctor"), output.stdout)
        XCTAssertFalse(output.stdout.contains("selftest"), output.stdout)
    }

    /// `membrane doctor` run with `changes` made to the environment it inherits (nil: removed);
    /// this process's environment is restored afterwards.
    private func doctor(environment changes: [String: String?]) throws -> MembraneBinary.Output {
        let saved = changes.keys.map { ($0, ProcessInfo.processInfo.environment[$0]) }
        func apply(_ name: String, _ value: String?) {
            if let value { setenv(name, value, 1) } else { unsetenv(name) }
        }
        for (name, value) in changes { apply(name, value) }
        defer { for (name, value) in saved { apply(name, value) } }
        return try MembraneBinary.run(try MembraneBinary.locate(), ["doctor"])
    }

    /// Doctor's line about the OpenBLAS kernels.
    private func kernelsLine(_ stdout: String) throws -> String {
        try XCTUnwrap(stdout.split(separator: "\n").first { $0.contains("OpenBLAS runs") }.map(String.init), stdout)
    }

    /// The processor's flags as Linux lists them in /proc/cpuinfo.
    private func cpuFlags() throws -> Set<String> {
        let cpuinfo = try String(contentsOfFile: "/proc/cpuinfo", encoding: .utf8)
        guard let line = cpuinfo.split(separator: "\n").first(where: { $0.hasPrefix("flags") }) else { return [] }
        return Set(line.split(separator: " ").map(String.init))
    }
}
