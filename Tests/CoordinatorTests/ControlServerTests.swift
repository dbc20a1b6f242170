@testable import Coordinator
import ControlSocket
import Foundation
import XCTest

/// The coordinator's control socket: size limit, single-part typed requests, replies that never
/// repeat a request, and a private ipc socket.
final class ControlServerTests: XCTestCase {
    var folder: URL!
    var library: Library!
    var context: ZMQContext!

    override func setUpWithError() throws {
        context = try ZMQContext()
        // ipc paths are limited to ~107 bytes: a short folder.
        folder = URL(fileURLWithPath: "/tmp/mctl-\(getpid())-\(UInt16.random(in: 0...UInt16.max))")
        library = Library(directory: folder.appendingPathComponent("lib"))
        try library.create()
    }

    override func tearDownWithError() throws { try? FileManager.default.removeItem(at: folder) }

    func server() throws -> ControlServer { try ControlServer(endpoint: library.defaultControlEndpoint, library: library) }

    func client(_ endpoint: String) throws -> ZMQSocket {
        let socket = try context.socket(.req)
        try socket.setLinger(.zero)
        try socket.connect(endpoint)
        return socket
    }

    /// The only job of the fake run the tests talk to.
    func answer(_ request: ControlRequest) -> ControlReply {
        switch request {
        case .status: .refused(.notARequest)
        case .cancel(let concept): concept == "red" ? .accepted(.cancelledBeforeStart(job: "red")) : .refused(.unknownJob(jobs: ["red"]))
        }
    }

    func reply(_ socket: ZMQSocket) throws -> (data: Data, reply: ControlReply) {
        let data = try XCTUnwrap(try socket.receive(timeout: .seconds(10)), "no reply")
        return (data, try ControlCoding.decode(ControlReply.self, from: data))
    }

    /// A 64 MB message is dropped by ZeroMQ unread (no reply, no stall); the next request is
    /// answered at once.
    func testOversizedMessageDoesNotStallTheServer() throws {
        let server = try server()
        defer { server.close() }
        let big = try client(server.endpoint)
        try big.setSendTimeout(.seconds(10))
        try big.send(Data(repeating: 0x7B, count: 64 << 20))
        let start = Date()
        XCTAssertFalse(try server.serve(wait: .seconds(2), answer), "the 64 MB message was delivered")
        XCTAssertLessThan(Date().timeIntervalSince(start), 10)
        let small = try client(server.endpoint)
        try small.send(try ControlCoding.encode(ControlRequest.cancel(concept: "red")))
        XCTAssertTrue(try server.serve(wait: .seconds(10), answer))
        guard case .accepted(.cancelledBeforeStart(job: "red")) = try reply(small).reply else { return XCTFail("wrong reply") }
        XCTAssertLessThan(Date().timeIntervalSince(start), 15)
        XCTAssertNil(try big.receive(timeout: .milliseconds(200)), "the oversized request got a reply")
        // Just under the limit is accepted (and refused as not a request).
        let edge = try client(server.endpoint)
        try edge.send(Data(repeating: 0x20, count: ControlServer.maxRequestBytes))
        XCTAssertTrue(try server.serve(wait: .seconds(10), answer))
        guard case .refused(.notARequest) = try reply(edge).reply else { return XCTFail("wrong reply") }
    }

    /// A multipart message is refused as such; its parts are never joined into a request.
    func testMultipartMessageIsRefusedNotJoined() throws {
        let server = try server()
        defer { server.close() }
        let socket = try client(server.endpoint)
        // Joined, the parts would be the request {"status":{}}.
        try socket.send(parts: [Data("{\"stat".utf8), Data("us\":{}}".utf8)])
        var asked = false
        XCTAssertTrue(try server.serve(wait: .seconds(10)) { asked = true; return self.answer($0) })
        XCTAssertFalse(asked, "a multipart message reached the request handler")
        guard case .refused(.multipartMessage(parts: 2)) = try reply(socket).reply else { return XCTFail("wrong reply") }
    }

    /// Unknown commands, garbage, deep nesting and unknown jobs get fixed, typed refusals that do
    /// not repeat the request's bytes.
    func testRepliesNeverEchoTheRequest() throws {
        let server = try server()
        defer { server.close() }
        let socket = try client(server.endpoint)
        let marker = "ECHO-MARKER-\(UUID().uuidString)"
        let requests: [(Data, ControlRefusal)] = [
            (Data("{\"delete\":{\"what\":\"\(marker)\"}}".utf8), .notARequest),
            (Data("\(marker) \u{0}\u{FF}".utf8), .notARequest),
            (Data((String(repeating: "[", count: 30000) + marker).utf8), .notARequest),
            (try ControlCoding.encode(ControlRequest.cancel(concept: marker)), .unknownJob(jobs: ["red"])),
        ]
        for (request, expected) in requests {
            try socket.send(request)
            XCTAssertTrue(try server.serve(wait: .seconds(10), answer))
            let (data, reply) = try reply(socket)
            guard case .refused(let refusal) = reply else { return XCTFail("\(reply)") }
            XCTAssertEqual(refusal, expected)
            XCTAssertFalse(String(decoding: data, as: UTF8.self).contains(marker), String(decoding: data, as: UTF8.self))
            XCTAssertFalse(refusal.text.contains(marker))
        }
    }

    /// The default ipc socket: file 0600 in a folder 0700 (also when the folder existed with
    /// another mode); both removed on close. A link in the folder's place is refused.
    func testIPCSocketIsPrivate() throws {
        try FileManager.default.createDirectory(at: library.controlFolderURL, withIntermediateDirectories: true,
                                                attributes: [.posixPermissions: 0o755])
        let server = try server()
        XCTAssertEqual(try mode(library.controlFolderURL.path), 0o700)
        XCTAssertEqual(try mode(library.controlSocketURL.path), 0o600)
        server.close()
        XCTAssertFalse(FileManager.default.fileExists(atPath: library.controlSocketURL.path))
        XCTAssertFalse(FileManager.default.fileExists(atPath: library.controlFolderURL.path))

        try FileManager.default.createSymbolicLink(atPath: library.controlFolderURL.path, withDestinationPath: "/tmp")
        XCTAssertThrowsError(try self.server()) { error in
            XCTAssertTrue("\(error)".contains("is not a folder (a link or a file)"), "\(error)")
        }
        // An explicit ipc endpoint elsewhere: the socket is 0600 there too.
        let other = folder.appendingPathComponent("c.sock").path
        let elsewhere = try ControlServer(endpoint: "ipc://" + other, library: library)
        XCTAssertEqual(try mode(other), 0o600)
        elsewhere.close()
        XCTAssertFalse(FileManager.default.fileExists(atPath: other))
    }

    func mode(_ path: String) throws -> Int {
        var info = stat()
        guard lstat(path, &info) == 0 else { throw CocoaError(.fileNoSuchFile) }
        return Int(info.st_mode & 0o777)
    }
}
