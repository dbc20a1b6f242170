@testable import Coordinator
import Foundation
import Membranes
import XCTest

/// Every run message and control request survives its wire format; bad bytes are errors.
final class MessageTests: XCTestCase {
    let training = TrainingCheckpoint(
        iteration: 4, parameters: ParameterVector(values: [1, -2, 3.5]),
        moments: AdamW.Moments(steps: 4, m: ParameterVector(values: [0.1, 0.2, 0.3]), v: ParameterVector(values: [1e-9, 2, 3])),
        loss: LossParts(erase: 0.5, anchoring: 0.25, total: 0.75), seconds: 2.5)

    func testMessagesRoundTripWithTheirTags() throws {
        let messages: [Message] = [
            .assign(job: "red", hash: "0123", resume: nil),
            .assign(job: "red", hash: "0123", resume: training),
            .noMoreJobs,
            .progress(JobCheckpoint(concept: "red", jobHash: "0123", training: training), end: .cancelled),
            .heartbeat(job: nil, iteration: 0, unit: 0),
            .heartbeat(job: "red", iteration: 3, unit: 2),
            .control(job: "red", request: .stop),
            .finish(exitCode: 143),
            .evaluated(job: "red", hash: "0123", seconds: 1.5, ranks: 2, results: Data("[{\"prompt\":0}]".utf8)),
            .evaluated(job: "red", hash: "0123", seconds: 0, ranks: 1, results: Data([0, 1, 2, 3, 4])),
        ]
        for message in messages {
            XCTAssertEqual(try Message(decoding: message.encoded(), tag: message.tag.rawValue), message)
        }
    }

    func testWrongTagAndDamagedBytesAreErrors() {
        let message = Message.finish(exitCode: 0)
        XCTAssertThrowsError(try Message(decoding: message.encoded(), tag: Tag.assign.rawValue))
        XCTAssertThrowsError(try Message(decoding: Data([1, 2, 3]), tag: Tag.finish.rawValue))
        let evaluated = Message.evaluated(job: "red", hash: "0", seconds: 1, ranks: 1, results: Data())
        XCTAssertThrowsError(try Message(decoding: evaluated.encoded(), tag: Tag.progress.rawValue))
        var data = Message.progress(JobCheckpoint(concept: "red", jobHash: "0", training: training), end: .running).encoded()
        data.removeLast()
        XCTAssertThrowsError(try Message(decoding: data, tag: Tag.progress.rawValue))
    }

    func testGroupRequestsRideInTheFusedBufferAsASum() {
        // Two ranks' buffers (no gradient): one asks to cancel, the other to stop.
        let a: [Double] = [0, 0, 0, 1, 0], b: [Double] = [0, 0, 0, 0, 1]
        let sum = zip(a, b).map { $0 + $1 }.map(Float.init)
        XCTAssertEqual(GroupRequests(cancel: sum[3] > 0, stop: sum[4] > 0), GroupRequests(cancel: true, stop: true))
    }

    func testControlRequestsAndRepliesAreJSON() throws {
        for request in [ControlRequest.status, .cancel(concept: "red")] {
            XCTAssertEqual(try ControlCoding.decode(ControlRequest.self, from: ControlCoding.encode(request)), request)
        }
        XCTAssertThrowsError(try ControlCoding.decode(ControlRequest.self, from: Data("cancel red".utf8)))
        let refusals: [ControlRefusal] = [.notARequest, .multipartMessage(parts: 3), .unknownJob(jobs: ["red", "blue"]),
                                          .notCancellable(job: "red", state: .done)]
        for refusal in refusals {
            let reply = try ControlCoding.decode(ControlReply.self, from: ControlCoding.encode(ControlReply.refused(refusal)))
            guard case .refused(let reason) = reply else { return XCTFail("\(reply)") }
            XCTAssertEqual(reason, refusal)
        }
        let accepted = try ControlCoding.decode(ControlReply.self, from: ControlCoding.encode(ControlReply.accepted(.cancelledBeforeStart(job: "blue"))))
        guard case .accepted(let done) = accepted else { return XCTFail("\(accepted)") }
        XCTAssertEqual(done.text, "blue cancelled before it started")
    }
}
