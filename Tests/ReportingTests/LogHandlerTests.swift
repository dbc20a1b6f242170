import Foundation
import Logging
@testable import Reporting
import XCTest

/// The log handler's text and JSON lines, read back from a captured sink.
final class LogHandlerTests: XCTestCase {
    private let clock = ManualClock()

    private func logger(_ label: String, format: LogFormat, level: Logger.Level = .info,
                        into output: CapturedOutput) -> Logger {
        let sink = output.sink(isTerminal: false)
        let now = clock.now
        return Logger(label: label) { label in
            ReportingLogHandler(label: label, level: level, format: format, sink: sink, now: now)
        }
    }

    func testTextLineHasTimeLevelLabelMessageAndSortedMetadata() {
        let output = CapturedOutput()
        let log = logger("coordinator", format: .text, into: output)
        log.info("job started", metadata: ["job": "red", "iterations": "300"])
        XCTAssertEqual(output.lines, ["2026-12-01T12:00:00Z info coordinator: job started iterations=300 job=red"])
    }

    func testTextQuotesValuesThatWouldBeAmbiguous() {
        let output = CapturedOutput()
        let log = logger("train", format: .text, into: output)
        log.warning("odd values", metadata: ["path": "/a b/c", "empty": "", "eq": "a=b", "nl": "x\ny\"z", "ctl": "a\u{1}b"])
        XCTAssertEqual(output.lines, [#"2026-12-01T12:00:00Z warning train: odd values ctl="a\u0001b" empty="" eq="a=b" nl="x\ny\"z" path="/a b/c""#])
    }

    func testLevelBelowTheHandlersIsDropped() {
        let output = CapturedOutput()
        let log = logger("train", format: .text, level: .notice, into: output)
        log.info("hidden")
        log.debug("hidden")
        log.notice("shown")
        log.critical("shown too")
        XCTAssertEqual(output.lines.count, 2, output.text)
        XCTAssertTrue(output.lines[0].hasSuffix("notice train: shown"))
        XCTAssertTrue(output.lines[1].hasSuffix("critical train: shown too"))
    }

    func testJSONLinesParseBackWithEveryField() throws {
        let output = CapturedOutput()
        var log = logger("worker", format: .jsonLines, level: .trace, into: output)
        log[metadataKey: "rank"] = "2"
        log.trace("quote \" backslash \\ newline \n tab \t ü /slash")
        clock.advance(61)
        log.error("failed", metadata: ["rank": "3", "shape": ["a", "b"], "nested": ["k": "v"]])
        XCTAssertEqual(output.lines.count, 2, "one object per line:\n\(output.text)")

        let first = try jsonObject(output.lines[0])
        XCTAssertEqual(first["time"] as? String, "2026-12-01T12:00:00Z")
        XCTAssertEqual(first["level"] as? String, "trace")
        XCTAssertEqual(first["label"] as? String, "worker")
        XCTAssertEqual(first["message"] as? String, "quote \" backslash \\ newline \n tab \t ü /slash")
        XCTAssertEqual(first["metadata"] as? [String: String], ["rank": "2"])

        let second = try jsonObject(output.lines[1])
        XCTAssertEqual(second["time"] as? String, "2026-12-01T12:01:01Z")
        XCTAssertEqual(second["level"] as? String, "error")
        let metadata = try XCTUnwrap(second["metadata"] as? [String: Any])
        XCTAssertEqual(metadata["rank"] as? String, "3", "the call's metadata wins over the logger's")
        XCTAssertEqual(metadata["shape"] as? [String], ["a", "b"])
        XCTAssertEqual(metadata["nested"] as? [String: String], ["k": "v"])
    }

    func testJSONKeysAreSortedAndEmptyMetadataLeftOut() {
        let output = CapturedOutput()
        logger("train", format: .jsonLines, into: output).info("plain")
        XCTAssertEqual(output.lines,
                       [#"{"label":"train","level":"info","message":"plain","time":"2026-12-01T12:00:00Z"}"#])
    }

    func testErrorIsWrittenAsMetadata() throws {
        struct Broken: Error, CustomStringConvertible { var description: String { "disk full" } }
        let output = CapturedOutput()
        logger("train", format: .jsonLines, into: output).error("write failed", error: Broken())
        let metadata = try XCTUnwrap(try jsonObject(output.lines[0])["metadata"] as? [String: String])
        XCTAssertEqual(metadata["error"], "disk full")
    }

    func testMetadataProviderIsMerged() {
        let output = CapturedOutput()
        let sink = output.sink(isTerminal: false)
        let now = clock.now
        let provider = Logger.MetadataProvider { ["task": "42"] }
        let log = Logger(label: "catalog") { label in
            ReportingLogHandler(label: label, sink: sink, metadataProvider: provider, now: now)
        }
        log.info("tick")
        XCTAssertEqual(output.lines, ["2026-12-01T12:00:00Z info catalog: tick task=42"])
    }

    func testLogLinesGoAboveAStatusLineOnATerminal() {
        let output = CapturedOutput()
        let sink = output.sink(isTerminal: true)
        sink.showStatus("bar 1")
        sink.writeLine("a log line")
        sink.showStatus("bar 2")
        sink.endStatus()
        sink.writeLine("after")
        let clear = OutputSink.clearLine
        XCTAssertEqual(output.text, clear + "bar 1" + clear + "a log line\nbar 1" + clear + "bar 2\nafter\n")
    }
}
