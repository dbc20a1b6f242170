import Foundation
import Logging
@testable import Reporting
import XCTest

/// `Reporting.bootstrap` installs the handler once per process and refuses a second time
/// instead of trapping; progress reporters follow its format and metadata.
///
/// The only test that bootstraps: every test target shares one process, so its sink also
/// passes everything on to standard error for the other tests' logs.
final class BootstrapTests: XCTestCase {
    func testSecondBootstrapIsRefusedAndLoggersUseTheFirst() throws {
        let output = CapturedOutput()
        let captured = output.sink(isTerminal: false)
        let sink = OutputSink(isTerminal: false) { text in
            captured.writeLine(String(text.dropLast()))
            OutputSink.standardError.writeLine(String(text.dropLast()))
        }
        let installed = Reporting.bootstrap(level: .debug, format: .jsonLines, metadata: ["rank": "0"], sink: sink)
        // Nothing else in the test process bootstraps (the commands that do run as subprocesses),
        // so the first call must install the handler.
        XCTAssertTrue(installed, "the logging system was bootstrapped before this test")
        guard installed else { return }
        XCTAssertFalse(Reporting.bootstrap(level: .trace, format: .text))

        Logger(label: "reporting-test").debug("bootstrapped", metadata: ["check": "yes"])
        Logger(label: "reporting-test").trace("below the level")
        let lines = output.lines.filter { $0.contains("reporting-test") }
        XCTAssertEqual(lines.count, 1, output.text)
        let object = try jsonObject(try XCTUnwrap(lines.first))
        XCTAssertEqual(object["message"] as? String, "bootstrapped")
        XCTAssertEqual(object["metadata"] as? [String: String], ["rank": "0", "check": "yes"])

        var progress = ProgressReporter(label: "reporting-test", total: 1, sink: captured)
        progress.update(done: 1)
        let line = try XCTUnwrap(output.lines.last)
        let metadata = try XCTUnwrap(try jsonObject(line)["metadata"] as? [String: String], "JSON, as bootstrapped: \(line)")
        XCTAssertEqual(metadata["rank"], "0")
        XCTAssertEqual(metadata["done"], "1")
    }
}
