import Foundation
import XCTest

/// Runs `membrane selftest mpi` as two real MPI ranks under mpirun.
final class MPIRunTests: XCTestCase {
    struct Report: Decodable {
        var rank: Int
        var size: Int
        var sum: Int
        var broadcast: String
        var gathered: [String]?
        var message: String?
    }

    func testTwoRanksUnderMpirun() throws {
        let membrane = try MembraneBinary.locate()
        let mpirun = try XCTUnwrap(MembraneBinary.which("mpirun"), "mpirun not on PATH (make deps installs openmpi-bin)")
        let arguments = ["-np", "2", "--oversubscribe", membrane.path, "selftest", "mpi"]
        let output = try MembraneBinary.run(mpirun, arguments)
        XCTAssertEqual(output.status, 0, "stdout:\n\(output.stdout)\nstderr:\n\(output.stderr)")

        let lines = output.stdout.split(separator: "\n").filter { $0.hasPrefix("{") }
        let decoder = JSONDecoder()
        var reports: [Report] = []
        for line in lines {
            reports.append(try decoder.decode(Report.self, from: Data(line.utf8)))
        }
        reports.sort { $0.rank < $1.rank }
        XCTAssertEqual(reports.map(\.rank), [0, 1], output.stdout)
        for report in reports {
            XCTAssertEqual(report.size, 2)
            XCTAssertEqual(report.sum, 3)
            XCTAssertEqual(report.broadcast, "hello from rank 0")
        }
        guard reports.count == 2 else { return }
        XCTAssertEqual(reports[0].gathered, ["rank 0", "rank 1"])
        XCTAssertNil(reports[1].gathered)
        XCTAssertEqual(reports[0].message, "pong")
        XCTAssertEqual(reports[1].message, "ping")
    }

    func testBinaryIsFoundBesideTheTests() throws {
        let membrane = try MembraneBinary.locate()
        XCTAssertEqual(membrane.lastPathComponent, "membrane")
    }
}
