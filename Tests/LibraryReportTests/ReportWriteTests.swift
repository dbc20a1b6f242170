import Foundation
@testable import LibraryReport
import XCTest

/// Writing index.html: atomic replacement, update() end to end, history in the page, sparklines.
final class ReportWriteTests: XCTestCase {
    var library: URL!

    override func setUpWithError() throws { library = try ReportSamples.folder("report-write") }
    override func tearDownWithError() throws { try? FileManager.default.removeItem(at: library) }

    func page() throws -> String { try String(contentsOf: ReportLayout.page(in: library), encoding: .utf8) }

    func testWriteReplacesThePageWholeAndLeavesNoTemporaryFile() throws {
        let first = ReportSamples.run(date: "2026-11-30T06:00:00Z")
        let second = ReportSamples.run(date: "2026-12-01T06:00:00Z", exitCode: 5)
        let concepts = [ReportSamples.passed(), ReportSamples.failed()]
        try LibraryReportWriter.write(run: first, concepts: concepts, history: ReportHistory(), to: library)
        XCTAssertEqual(try page(), try LibraryReportWriter.render(run: first, concepts: concepts, history: ReportHistory()))
        try LibraryReportWriter.write(run: second, concepts: [ReportSamples.failed()], history: ReportHistory(), to: library)
        let expected = try LibraryReportWriter.render(run: second, concepts: [ReportSamples.failed()], history: ReportHistory())
        XCTAssertEqual(try page(), expected, "the second page, whole, with nothing of the first left")
        XCTAssertTrue(try page().hasSuffix("</html>\n"))
        XCTAssertEqual(try ReportSamples.leftovers(in: ReportLayout.folder(in: library)), [])
    }

    func testRefusedInputKeepsTheOldPage() throws {
        try LibraryReportWriter.write(run: ReportSamples.run(), concepts: [ReportSamples.passed()], history: ReportHistory(), to: library)
        let old = try page()
        XCTAssertThrowsError(try LibraryReportWriter.write(run: ReportSamples.run(), concepts: [ReportSamples.passed(grid: "/abs.png")],
                                                           history: ReportHistory(), to: library)) { error in
            XCTAssertEqual((error as? ReportError)?.path, ReportLayout.page(in: library).path)
        }
        XCTAssertEqual(try page(), old)
    }

    func testWriteCreatesMissingFolders() throws {
        let missing = library.appendingPathComponent("no/such")
        try LibraryReportWriter.write(run: ReportSamples.run(), concepts: [], history: ReportHistory(), to: missing)
        XCTAssertTrue(FileManager.default.fileExists(atPath: ReportLayout.page(in: missing).path))
    }

    func testUpdateAppendsTheHistoryAndShowsIt() throws {
        for (day, rate) in [(1, 40.0), (2, 25.0), (3, 12.5)] {
            var concept = ReportSamples.passed()
            concept.metrics[0].after = rate
            try LibraryReportWriter.update(run: ReportSamples.run(date: "2026-12-0\(day)T06:00:00Z"), concepts: [concept], library: library)
        }
        let history = try ReportHistory.load(from: library)
        XCTAssertEqual(history.points(for: "red").compactMap { $0.metrics["target rate"] }, [40, 25, 12.5])
        let html = try page()
        XCTAssertTrue(html.contains("3 runs recorded."))
        XCTAssertTrue(html.contains("<th>2026-12-01 06:00</th><th>2026-12-02 06:00</th><th>2026-12-03 06:00</th>"))
        XCTAssertTrue(html.contains("<td class=\"num\">40.00 %</td><td class=\"num\">25.00 %</td><td class=\"num\">12.50 %</td>"), html)
        XCTAssertTrue(html.contains("<td class=\"mark passed\" title=\"gate passed\">✓ passed</td>"))
        XCTAssertTrue(html.contains("<title>target rate of red over 3 runs</title>"))
    }

    func testUpdateWithABrokenHistoryFailsAndWritesNothing() throws {
        try FileManager.default.createDirectory(at: ReportLayout.folder(in: library), withIntermediateDirectories: true)
        try Data("[]".utf8).write(to: ReportLayout.history(in: library))
        XCTAssertThrowsError(try LibraryReportWriter.update(run: ReportSamples.run(), concepts: [ReportSamples.passed()], library: library)) { error in
            XCTAssertEqual((error as? ReportError)?.path, ReportLayout.history(in: library).path)
        }
        XCTAssertFalse(FileManager.default.fileExists(atPath: ReportLayout.page(in: library).path))
        XCTAssertEqual(try Data(contentsOf: ReportLayout.history(in: library)), Data("[]".utf8), "left for the user to look at")
    }

    func testHistoryTableShowsTheLastTenRunsAndOlderMetrics() throws {
        var history = ReportHistory(concepts: ["red": [HistoryPoint(date: "2026-01-01T06:00:00Z", metrics: ["old metric": 7],
                                                                    verdict: .failed(reasons: ["x"]))]])
        for day in 1...11 {
            history = history.appending(run: ReportSamples.run(date: String(format: "2026-02-%02dT06:00:00Z", day)),
                                        concepts: [ReportSamples.passed()])
        }
        let html = try LibraryReportWriter.render(run: ReportSamples.run(date: "2026-02-11T06:00:00Z"),
                                                  concepts: [ReportSamples.passed()], history: history)
        XCTAssertTrue(html.contains("12 runs recorded; the table shows the last 10."))
        XCTAssertFalse(html.contains("<th>2026-02-01 06:00</th>"))
        XCTAssertTrue(html.contains("<th>2026-02-02 06:00</th>"))
        XCTAssertTrue(html.contains("<tr><td>old metric</td>"), "metrics of past runs stay visible")
        XCTAssertTrue(html.contains("<title>old metric of red over 12 runs</title>"))
    }

    func testSparklineScalesAndLeavesGaps() {
        let svg = Sparkline.svg([0, 10, .nan, 5, 10], label: "a <b>", width: 100, height: 20)
        XCTAssertTrue(svg.hasPrefix("<svg class=\"sparkline\" role=\"img\" width=\"100.0\" height=\"20.0\" viewBox=\"0 0 100.0 20.0\">"))
        XCTAssertTrue(svg.contains("<title>a &lt;b&gt;</title>"))
        XCTAssertEqual(svg.components(separatedBy: "<polyline").count - 1, 2, "the NaN splits the line")
        XCTAssertTrue(svg.contains("<polyline points=\"3.0,17.0 26.5,3.0\"/>"), svg)
        XCTAssertTrue(svg.contains("<polyline points=\"73.5,10.0 97.0,3.0\"/>"), svg)
        XCTAssertTrue(svg.contains("<circle cx=\"97.0\" cy=\"3.0\" r=\"2.5\"/>"))
        let single = Sparkline.svg([4], label: "one", width: 100, height: 20)
        XCTAssertFalse(single.contains("<polyline"))
        XCTAssertTrue(single.contains("<circle cx=\"50.0\" cy=\"10.0\" r=\"2.5\"/>"))
        XCTAssertTrue(Sparkline.svg([2, 2, 2], label: "flat", width: 100, height: 20).contains("points=\"3.0,10.0 50.0,10.0 97.0,10.0\""))
        XCTAssertFalse(Sparkline.svg([.nan], label: "none").contains("<circle"))
    }
}
