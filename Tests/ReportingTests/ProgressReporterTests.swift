import Foundation
@testable import Reporting
import XCTest

/// When a progress reporter writes: every update on a terminal, periodically elsewhere.
final class ProgressReporterTests: XCTestCase {
    private let clock = ManualClock()
    private let output = CapturedOutput()

    private func reporter(terminal: Bool, total: Int = 100, interval: Double = 10,
                          format: LogFormat = .text) -> ProgressReporter {
        ProgressReporter(label: "train", total: total, interval: interval, barWidth: 10,
                         format: format, metadata: [:], sink: output.sink(isTerminal: terminal), clock: clock.now)
    }

    func testTerminalRedrawsOneLineInPlaceAndFinishEndsIt() {
        var progress = reporter(terminal: true, total: 4)
        for done in 1...4 {
            clock.advance(0.5)
            progress.update(done: done, values: ["erase": 0.25])
        }
        progress.finish()
        let pieces = output.pieces
        XCTAssertEqual(pieces.count, 5, "four redraws and the newline: \(pieces)")
        XCTAssertTrue(pieces.dropLast().allSatisfy { $0.hasPrefix("\r\u{1B}[K") && !$0.contains("\n") }, "\(pieces)")
        XCTAssertEqual(pieces[0], "\r\u{1B}[Ktrain [##--------] 1/4  erase 0.25  2.00 it/s  ETA 2s")
        XCTAssertEqual(pieces[3], "\r\u{1B}[Ktrain [##########] 4/4  erase 0.25  2.00 it/s  took 2s")
        XCTAssertEqual(pieces[4], "\n")
    }

    func testElsewhereWritesFirstThenEveryIntervalThenLast() {
        var progress = reporter(terminal: false, total: 100, interval: 10)
        for done in 1...100 {
            clock.advance(0.75)
            progress.update(done: done)
        }
        progress.finish()
        // Updates come every 0.75 s: the first (0.75 s), then each first one at least 10 s after
        // the line before (15 at 11.25 s, 29 at 21.75 s, ...), then the last (75 s).
        let counts = output.lines.map { line -> Int in
            let message = line.components(separatedBy: "train: ")[1]
            return Int(message.prefix { $0 != "/" })!
        }
        XCTAssertEqual(counts, [1, 15, 29, 43, 57, 71, 85, 99, 100], output.text)
        XCTAssertEqual(output.lines[0], "2026-12-01T12:00:00Z info train: 1/100 (1%)  1.33 it/s  ETA 1m14s")
        XCTAssertEqual(output.lines.last, "2026-12-01T12:01:15Z info train: 100/100 (100%)  1.33 it/s  took 1m15s")
    }

    func testFinishWritesTheUpdateHeldBackWhenTheRunStopsEarly() {
        var progress = reporter(terminal: false, total: 100, interval: 10)
        for done in 1...5 {
            clock.advance(1)
            progress.update(done: done)
        }
        XCTAssertEqual(output.lines.count, 1, output.text)
        progress.finish()
        XCTAssertEqual(output.lines.count, 2, output.text)
        XCTAssertTrue(output.lines[1].contains("info train: 5/100 (5%)"), output.lines[1])
        XCTAssertTrue(output.lines[1].hasPrefix("2026-12-01T12:00:05Z"), "stamped when it happened: \(output.lines[1])")
        progress.finish()
        XCTAssertEqual(output.lines.count, 2, "nothing left to write")
    }

    func testFinishAfterTheLastUpdateWritesNothingMore() {
        var progress = reporter(terminal: false, total: 2)
        progress.update(done: 1)
        progress.update(done: 2)
        progress.finish()
        XCTAssertEqual(output.lines.count, 2, output.text)
    }

    func testJSONLinesCarryTheNumbersAsMetadata() throws {
        var progress = reporter(terminal: false, total: 300, format: .jsonLines)
        clock.advance(20.8)
        progress.update(done: 45, values: [(name: "erase", value: 0.008123), (name: "anchor", value: 0.0003014)])
        let object = try jsonObject(try XCTUnwrap(output.lines.first))
        XCTAssertEqual(object["label"] as? String, "train")
        XCTAssertEqual(object["level"] as? String, "info")
        XCTAssertEqual(object["time"] as? String, "2026-12-01T12:00:20Z")
        XCTAssertEqual(object["message"] as? String, "45/300 (15%)  erase 0.00812  anchor 0.000301  2.16 it/s  ETA 1m58s")
        let metadata = try XCTUnwrap(object["metadata"] as? [String: String])
        XCTAssertEqual(metadata, ["done": "45", "total": "300", "erase": "0.008123", "anchor": "0.0003014",
                                  "per_second": "2.163", "elapsed_seconds": "20.8", "eta_seconds": "118"])
    }
}
