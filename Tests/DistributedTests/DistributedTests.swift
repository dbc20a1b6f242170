import Distributed
import Foundation
import XCTest

/// MPI in this test process: a singleton world of one rank (no mpirun needed).
///
/// MPI can be initialised once per process, so the class initialises it before its first test
/// and finalises it after its last one.
final class InProcessMPITests: XCTestCase {
    override class func setUp() {
        super.setUp()
        do {
            try MPI.initialize()
        } catch {
            XCTFail("MPI.initialize failed: \(error)")
        }
    }

    override class func tearDown() {
        try? MPI.finalize()
        super.tearDown()
    }

    func testLibraryVersion() {
        XCTAssertTrue(MPI.libraryVersion.contains("Open MPI"), MPI.libraryVersion)
        XCTAssertGreaterThanOrEqual(MPI.standardVersion.major, 3)
    }

    func testSingletonWorld() throws {
        XCTAssertTrue(MPI.isInitialized)
        XCTAssertTrue(MPI.isRunning)
        XCTAssertEqual(Communicator.world.rank, 0)
        XCTAssertEqual(Communicator.world.size, 1)
        XCTAssertEqual(Communicator.selfOnly.size, 1)
        XCTAssertGreaterThanOrEqual(try MPI.queryThreadLevel(), .funneled)
        XCTAssertEqual(try MPI.initialize(), try MPI.queryThreadLevel())
    }

    func testAllreduce() throws {
        let world = Communicator.world
        var values: [Float] = [1.5, -2, 3]
        try values.withUnsafeMutableBufferPointer { buffer in
            try world.allreduceSum(inPlace: buffer)
        }
        XCTAssertEqual(values, [1.5, -2, 3])
        XCTAssertEqual(try world.allreduceSum([Float(4), 5]), [4, 5])
        XCTAssertEqual(try world.allreduceSum([Double(0.25)]), [0.25])
        XCTAssertEqual(try world.allreduce(7, .max), 7)
        XCTAssertEqual(try world.allreduce(-3, .min), -3)
        XCTAssertEqual(try world.allreduce(1 << 40, .sum), 1 << 40)
    }

    func testBroadcastAndGather() throws {
        let world = Communicator.world
        let payload = Data((0..<1000).map { UInt8($0 % 251) })
        XCTAssertEqual(try world.broadcast(payload, root: 0), payload)
        XCTAssertEqual(try world.broadcast([UInt8](), root: 0), [])
        XCTAssertEqual(try world.gather(Data("blob".utf8), root: 0), [Data("blob".utf8)])
        try world.barrier()
    }

    func testSendReceiveToSelf() throws {
        let world = Communicator.world
        try world.send(Data("hello".utf8), to: 0, tag: 3)
        let message = try world.receive(from: 0, tag: 3)
        XCTAssertEqual(message.data, Data("hello".utf8))
        XCTAssertEqual(message.source, 0)
        XCTAssertEqual(message.tag, 3)
        try world.send(Data(), to: 0, tag: 4)
        XCTAssertEqual(try world.receive().data, Data())
    }

    func testSplitAndDuplicate() throws {
        let world = Communicator.world
        let part = try XCTUnwrap(try world.split(color: 1, key: 0))
        XCTAssertEqual(part.size, 1)
        XCTAssertEqual(try part.allreduceSum([Float(2)]), [2])
        try part.free()
        XCTAssertNil(try world.split(color: nil))
        let copy = try world.duplicate()
        XCTAssertEqual(copy.size, 1)
        try copy.free()
    }

    func testErrorsCarryMPIText() {
        let world = Communicator.world
        // A negative tag is invalid for MPI_Send; with MPI_ERRORS_RETURN it comes back as an error.
        XCTAssertThrowsError(try world.send(Data("x".utf8), to: 0, tag: -5)) { error in
            let mpiError = error as? MPIError
            XCTAssertEqual(mpiError?.operation, "MPI_Send")
            XCTAssertTrue(mpiError?.message.contains("tag") ?? false, "\(error)")
        }
        XCTAssertThrowsError(try world.send(Data(), to: 3)) { error in
            XCTAssertTrue("\(error)".contains("outside 0..<1"), "\(error)")
        }
        XCTAssertFalse(MPI.errorString(1).isEmpty)
    }
}
