@testable import Reporting
import XCTest

/// What one progress line looks like: bar, counts, values, rate and time left.
final class ProgressRenderingTests: XCTestCase {
    private func snapshot(done: Int, total: Int = 300, counted: Int? = nil, elapsed: Double,
                          values: [(name: String, value: Double)] = []) -> ProgressSnapshot {
        ProgressSnapshot(label: "train", done: done, total: total, values: values, unit: "it",
                         counted: counted ?? done, elapsed: elapsed)
    }

    func testCompactDurations() {
        XCTAssertEqual(CompactDuration.string(0), "0s")
        XCTAssertEqual(CompactDuration.string(44.6), "45s")
        XCTAssertEqual(CompactDuration.string(59.4), "59s")
        XCTAssertEqual(CompactDuration.string(65), "1m05s")
        XCTAssertEqual(CompactDuration.string(3599), "59m59s")
        XCTAssertEqual(CompactDuration.string(3600), "1h00m")
        XCTAssertEqual(CompactDuration.string(7380), "2h03m")
        XCTAssertEqual(CompactDuration.string(.infinity), "--")
        XCTAssertEqual(CompactDuration.string(.nan), "--")
        XCTAssertEqual(CompactDuration.string(-1), "--")
    }

    func testBarFillsInProportionAndKeepsItsWidth() {
        XCTAssertEqual(snapshot(done: 0, elapsed: 0).bar(width: 10), "[----------]")
        XCTAssertEqual(snapshot(done: 150, elapsed: 1).bar(width: 10), "[#####-----]")
        XCTAssertEqual(snapshot(done: 299, elapsed: 1).bar(width: 10), "[#########-]")
        XCTAssertEqual(snapshot(done: 300, elapsed: 1).bar(width: 10), "[##########]")
        XCTAssertEqual(snapshot(done: 400, elapsed: 1).bar(width: 10), "[##########]")
        for done in stride(from: 0, through: 300, by: 7) {
            XCTAssertEqual(snapshot(done: done, elapsed: 1).bar(width: 24).count, 26)
        }
    }

    func testTerminalLineWithValuesRateAndETA() {
        let line = snapshot(done: 45, elapsed: 20.8, values: [("erase", 0.008123), ("anchor", 0.0003014)])
            .terminalLine(barWidth: 20)
        // 45 in 20.8 s is 2.16 it/s; 255 left take 117.9 s.
        XCTAssertEqual(line, "train [###-----------------] 45/300  erase 0.00812  anchor 0.000301  2.16 it/s  ETA 1m58s")
    }

    func testRateCountsOnlyUnitsSinceTheStart() {
        let resumed = snapshot(done: 110, total: 200, counted: 10, elapsed: 5)
        XCTAssertEqual(resumed.rate, 2)
        XCTAssertEqual(resumed.remaining, 45)
        XCTAssertEqual(resumed.plainMessage, "110/200 (55%)  2.00 it/s  ETA 45s")
    }

    func testUnknownRateBeforeTheFirstUnit() {
        XCTAssertEqual(snapshot(done: 0, elapsed: 0).plainMessage, "0/300 (0%)  -- it/s  ETA --")
    }

    func testFinishedLineShowsTheTimeTaken() {
        let line = snapshot(done: 300, elapsed: 139, values: [("erase", 0.5)]).terminalLine(barWidth: 4)
        XCTAssertEqual(line, "train [####] 300/300  erase 0.5  2.16 it/s  took 2m19s")
    }

    func testStatusLineIsCutToTheTerminalWidth() {
        let output = CapturedOutput()
        var progress = ProgressReporter(label: "train", total: 300, format: .text, metadata: [:],
                                        sink: output.sink(isTerminal: true, columns: 30), clock: ManualClock().now)
        progress.update(done: 1)
        XCTAssertEqual(output.text, OutputSink.clearLine + "train [--------------------] ")
        XCTAssertEqual(output.text.count - OutputSink.clearLine.count, 29)
    }
}
