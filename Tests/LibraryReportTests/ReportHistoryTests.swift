import Foundation
@testable import LibraryReport
import XCTest

/// history.json: appending, the cap, the file round trip and every way reading it can fail.
final class ReportHistoryTests: XCTestCase {
    var library: URL!

    override func setUpWithError() throws { library = try ReportSamples.folder("report-history") }
    override func tearDownWithError() throws { try? FileManager.default.removeItem(at: library) }

    func date(_ day: Int) -> String { String(format: "2026-%02d-%02dT06:00:00Z", 1 + day / 28, 1 + day % 28) }

    func testAppendingRecordsEachConceptsAfterValuesAndVerdict() {
        let history = ReportHistory().appending(run: ReportSamples.run(), concepts: [ReportSamples.passed(), ReportSamples.failed()])
        XCTAssertEqual(history.points(for: "red"), [HistoryPoint(
            date: "2026-12-01T06:00:00Z", metrics: ["target rate": 12.5, "preservation": 90.5, "PSNR": 27.31], verdict: .passed)])
        XCTAssertEqual(history.points(for: "triangle").map(\.verdict),
                       [.failed(reasons: ["target rate 45.0 % is above max_target_rate 0.0 %"])])
        XCTAssertEqual(history.points(for: "missing"), [])
    }

    func testAppendingKeepsOrderAndReplacesTheSameRun() {
        var history = ReportHistory()
        history = history.appending(run: ReportSamples.run(date: date(0)), concepts: [ReportSamples.passed()])
        history = history.appending(run: ReportSamples.run(date: date(1)), concepts: [ReportSamples.passed(), ReportSamples.failed()])
        var changed = ReportSamples.passed()
        changed.metrics = [ReportMetric(name: "target rate", after: 3)]
        history = history.appending(run: ReportSamples.run(date: date(1)), concepts: [changed])
        XCTAssertEqual(history.points(for: "red").map(\.date), [date(0), date(1)])
        XCTAssertEqual(history.points(for: "red").last?.metrics, ["target rate": 3])
        XCTAssertEqual(history.points(for: "triangle").map(\.date), [date(1)])
    }

    func testEachConceptKeepsTheLastHundredRuns() {
        var history = ReportHistory()
        for day in 0..<(ReportHistory.maximumRunsPerConcept + 5) {
            history = history.appending(run: ReportSamples.run(date: date(day)), concepts: [ReportSamples.passed()])
        }
        history = history.appending(run: ReportSamples.run(date: date(200)), concepts: [ReportSamples.failed()])
        let points = history.points(for: "red")
        XCTAssertEqual(ReportHistory.maximumRunsPerConcept, 100)
        XCTAssertEqual(points.count, 100)
        XCTAssertEqual(points.first?.date, date(5), "the five oldest runs are dropped")
        XCTAssertEqual(points.last?.date, date(104))
        XCTAssertEqual(history.points(for: "triangle").count, 1)
    }

    func testMissingFileIsAnEmptyHistory() throws {
        XCTAssertEqual(try ReportHistory.load(from: library), ReportHistory())
        XCTAssertFalse(FileManager.default.fileExists(atPath: ReportLayout.folder(in: library).path), "loading creates nothing")
    }

    func testSaveAndLoadRoundTripWithNonFiniteValues() throws {
        var concept = ReportSamples.passed()
        concept.metrics = [ReportMetric(name: "PSNR", after: .infinity, unit: "dB"), ReportMetric(name: "odd", after: -.infinity),
                           ReportMetric(name: "rate", after: 0.25)]
        let history = ReportHistory()
            .appending(run: ReportSamples.run(date: date(0)), concepts: [concept, ReportSamples.failed()])
            .appending(run: ReportSamples.run(date: date(1)), concepts: [ReportSamples.passed()])
        try history.save(to: library)
        let text = try String(contentsOf: ReportLayout.history(in: library), encoding: .utf8)
        XCTAssertTrue(text.contains("\"version\" : 1"), text)
        XCTAssertTrue(text.contains("\"PSNR\" : \"inf\""), text)
        XCTAssertTrue(text.contains("\"status\" : \"failed\""), text)
        XCTAssertEqual(try ReportHistory.load(from: library), history)
        XCTAssertEqual(try ReportSamples.leftovers(in: ReportLayout.folder(in: library)), [])
    }

    func testNaNSurvivesTheFile() throws {
        let history = ReportHistory(concepts: ["a": [HistoryPoint(date: date(0), metrics: ["m": .nan], verdict: .notGated)]])
        try history.save(to: library)
        let loaded = try ReportHistory.load(from: library)
        XCTAssertTrue(loaded.points(for: "a").first?.metrics["m"]?.isNaN ?? false)
        XCTAssertEqual(loaded.points(for: "a").first?.verdict, .notGated)
    }

    func write(_ text: String) throws {
        try FileManager.default.createDirectory(at: ReportLayout.folder(in: library), withIntermediateDirectories: true)
        try Data(text.utf8).write(to: ReportLayout.history(in: library))
    }

    func assertLoadFails(_ expected: String, file: StaticString = #filePath, line: UInt = #line) {
        XCTAssertThrowsError(try ReportHistory.load(from: library), file: file, line: line) { error in
            guard let report = error as? ReportError else { return XCTFail("\(error)", file: file, line: line) }
            XCTAssertEqual(report.path, ReportLayout.history(in: library).path, file: file, line: line)
            XCTAssertTrue(report.problem.contains(expected), "\(report)", file: file, line: line)
        }
    }

    func testUnreadableFilesGiveErrorsNamingTheFile() throws {
        try write("{not json")
        assertLoadFails("not a valid history file")
        try write("")
        assertLoadFails("not a valid history file")
        try write(#"{"version": 2, "concepts": {}}"#)
        assertLoadFails("history format version 2 is not supported (expected 1)")
        try write(#"{"concepts": {}}"#)
        assertLoadFails("missing key 'version'")
        try write(#"{"version": 1, "concepts": {"red": [{"date": "d", "metrics": {"m": "x"}, "verdict": {"status": "passed"}}]}}"#)
        assertLoadFails("at concepts.red[0].metrics.m:")
        try write(#"{"version": 1, "concepts": {"red": [{"date": "d", "metrics": {}, "verdict": {"status": "maybe"}}]}}"#)
        assertLoadFails("unknown gate verdict 'maybe'")
        try write(#"{"version": 1, "concepts": {"red": [{"metrics": {}, "verdict": {"status": "passed"}}]}}"#)
        assertLoadFails("missing key 'date' at concepts.red[0]")
    }

    func testFolderInPlaceOfTheFileIsAnError() throws {
        try FileManager.default.createDirectory(at: ReportLayout.history(in: library), withIntermediateDirectories: true)
        assertLoadFails("is a folder, not a history file")
    }

    func testUnreadablePermissionsAreAnError() throws {
        try write(#"{"version": 1, "concepts": {}}"#)
        try FileManager.default.setAttributes([.posixPermissions: 0o000], ofItemAtPath: ReportLayout.history(in: library).path)
        defer { try? FileManager.default.setAttributes([.posixPermissions: 0o644], ofItemAtPath: ReportLayout.history(in: library).path) }
        if getuid() == 0 { throw XCTSkip("root reads files without read permission") }
        assertLoadFails("cannot read the history file")
    }

    func testOversizedFileIsRefused() throws {
        try write(String(repeating: " ", count: ReportHistory.maximumFileBytes + 1))
        assertLoadFails("history file is larger than \(ReportHistory.maximumFileBytes) bytes")
    }

    func testSaveIntoAFileNamedReportFails() throws {
        try Data("x".utf8).write(to: library.appendingPathComponent(ReportLayout.folder))
        XCTAssertThrowsError(try ReportHistory().save(to: library)) { error in
            XCTAssertEqual(error as? ReportError, ReportError(path: ReportLayout.folder(in: library).path,
                                                              problem: "exists and is not a folder"))
        }
    }
}
