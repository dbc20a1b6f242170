import ControlSocket
import Foundation
import XCTest

final class ControlSocketTests: XCTestCase {
    private var directory: URL!

    override func setUpWithError() throws {
        // ipc:// paths are limited to ~107 bytes, so keep the directory short.
        directory = URL(fileURLWithPath: "/tmp/mzmq-\(getpid())-\(UInt16.random(in: 0...UInt16.max))")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
    }

    override func tearDownWithError() throws {
        try? FileManager.default.removeItem(at: directory)
    }

    func testVersion() {
        XCTAssertTrue(ZMQ.version.hasPrefix("4."), ZMQ.version)
        XCTAssertTrue(ZMQ.has("ipc"))
    }

    func testRequestReplyOverIPC() throws {
        let context = try ZMQContext()
        let endpoint = "ipc://\(directory.path)/control.sock"
        let server = try context.socket(.rep)
        try server.bind(endpoint)
        let client = try context.socket(.req)
        try client.connect(endpoint)

        try client.send(Data("status?".utf8))
        let request = try XCTUnwrap(try server.receive(timeout: .seconds(10)))
        XCTAssertEqual(String(decoding: request, as: UTF8.self), "status?")
        try server.send(Data("ok".utf8))
        let reply = try XCTUnwrap(try client.receive(timeout: .seconds(10)))
        XCTAssertEqual(String(decoding: reply, as: UTF8.self), "ok")

        // A second round trip with an empty and a large payload.
        try client.send(Data())
        XCTAssertEqual(try server.receive(timeout: .seconds(10)), Data())
        let large = Data((0..<200_000).map { UInt8($0 % 256) })
        try server.send(large)
        XCTAssertEqual(try client.receive(timeout: .seconds(10)), large)
        client.close()
        server.close()
    }

    func testReceiveTimesOutWithNil() throws {
        let context = try ZMQContext()
        let server = try context.socket(.rep)
        try server.bind("ipc://\(directory.path)/idle.sock")
        let start = Date()
        XCTAssertNil(try server.receive(timeout: .milliseconds(50)))
        XCTAssertLessThan(Date().timeIntervalSince(start), 5)
        XCTAssertNil(try server.receive(timeout: .zero))
    }

    func testRouterDealerMultipart() throws {
        let context = try ZMQContext()
        let endpoint = "ipc://\(directory.path)/router.sock"
        let router = try context.socket(.router)
        try router.bind(endpoint)
        let dealer = try context.socket(.dealer)
        try dealer.setRoutingID(Data("worker-1".utf8))
        try dealer.connect(endpoint)

        try dealer.send(parts: [Data("job".utf8), Data("42".utf8)])
        let parts = try XCTUnwrap(try router.receiveMultipart(timeout: .seconds(10)))
        XCTAssertEqual(parts, [Data("worker-1".utf8), Data("job".utf8), Data("42".utf8)])
        try router.send(parts: [parts[0], Data("done".utf8)])
        XCTAssertEqual(try dealer.receiveMultipart(timeout: .seconds(10)), [Data("done".utf8)])
    }

    func testTCPWildcardPortAndLastEndpoint() throws {
        let context = try ZMQContext()
        let server = try context.socket(.rep)
        try server.bind("tcp://127.0.0.1:*")
        let endpoint = try XCTUnwrap(server.lastEndpoint)
        XCTAssertTrue(endpoint.hasPrefix("tcp://127.0.0.1:"), endpoint)
        let client = try context.socket(.req)
        try client.connect(endpoint)
        try client.send("ping")
        XCTAssertEqual(try server.receive(timeout: .seconds(10)), Data("ping".utf8))
    }

    func testErrorsCarryZMQText() throws {
        let context = try ZMQContext()
        let socket = try context.socket(.req)
        XCTAssertThrowsError(try socket.bind("nonsense://x")) { error in
            let zmqError = error as? ZMQError
            XCTAssertEqual(zmqError?.operation, "zmq_bind(nonsense://x)")
            XCTAssertEqual(zmqError?.message, "Protocol not supported")
        }
        // REQ must alternate send and receive: a second send is refused by the state machine.
        try socket.connect("ipc://\(directory.path)/nobody.sock")
        try socket.send("one")
        XCTAssertThrowsError(try socket.send("two")) { error in
            XCTAssertTrue("\(error)".contains("zmq_send failed"), "\(error)")
        }
        socket.close()
        XCTAssertTrue(socket.isClosed)
        XCTAssertThrowsError(try socket.send("three")) { error in
            XCTAssertTrue("\(error)".contains("closed"), "\(error)")
        }
    }
}

/// Single-part receiving and the message size limit of the wrapper.
final class ControlSocketLimitTests: XCTestCase {
    func testMultipartIsNeverJoinedAndOversizedIsDropped() throws {
        let context = try ZMQContext()
        let server = try context.socket(.pull)
        try server.setMaxMessageSize(1024)
        try server.bind("tcp://127.0.0.1:*")
        let endpoint = try XCTUnwrap(server.lastEndpoint)
        let client = try context.socket(.push)
        try client.setLinger(.zero)
        try client.connect(endpoint)
        try client.send(parts: [Data("a".utf8), Data("b".utf8), Data("c".utf8)])
        XCTAssertEqual(try server.receiveSinglePart(timeout: .seconds(10)), .multipart(parts: 3))
        try client.send(parts: [Data("a".utf8), Data("b".utf8)])
        XCTAssertThrowsError(try server.receive(timeout: .seconds(10))) { error in
            XCTAssertTrue("\(error)".contains("a message of 2 parts where one part was expected"), "\(error)")
        }
        try client.send(Data(repeating: 1, count: 2048))
        XCTAssertNil(try server.receive(timeout: .milliseconds(500)), "a message over ZMQ_MAXMSGSIZE arrived")
        let reconnected = try context.socket(.push)
        try reconnected.setLinger(.zero)
        try reconnected.connect(endpoint)
        try reconnected.send(Data(repeating: 2, count: 1024))
        XCTAssertEqual(try server.receive(timeout: .seconds(10)), Data(repeating: 2, count: 1024))
    }
}
