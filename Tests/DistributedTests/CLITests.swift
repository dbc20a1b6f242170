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

    func testHelpListsDoctorButHidesSelftest() throws {
        let output = try MembraneBinary.run(try MembraneBinary.locate(), ["--help"])
        XCTAssertEqual(output.status, 0)
        XCTAssertTrue(output.stdout.contains("doctor"), output.stdout)
        XCTAssertFalse(output.stdout.contains("selftest"), output.stdout)
    }
}
