import Foundation
@testable import LibraryReport
import XCTest

/// The page's content: escaping of user input, absent grids, verdicts, figures and refused input.
final class ReportRenderTests: XCTestCase {
    func render(_ concepts: [ConceptReport], run: ReportRun = ReportSamples.run()) throws -> String {
        let history = ReportHistory().appending(run: run, concepts: concepts)
        return try LibraryReportWriter.render(run: run, concepts: concepts, history: history)
    }

    func testUserInputIsEscapedEverywhere() throws {
        var concept = ReportSamples.passed()
        concept.name = ReportSamples.hostileName
        concept.targets = ["<b>bold</b>", "Tom & \"Jerry\""]
        concept.verdict = .failed(reasons: ["<img src=x onerror=alert(1)>"])
        concept.metrics.append(ReportMetric(name: "<i>rate</i>", after: 1, unit: "<u>"))
        concept.multipliers = [ReportMultiplier(prompt: "a 'cat' & <dog> \"here\" 猫", transport: "<t>", values: [0.5])]
        var run = ReportSamples.run()
        run.catalog = "<catalog>&.yaml"
        let html = try render([concept], run: run)

        XCTAssertFalse(html.contains("<script"), "a concept name became markup")
        XCTAssertFalse(html.contains("<b>") || html.contains("<i>") || html.contains("<u>") || html.contains("<t>"))
        XCTAssertFalse(html.contains("<img src=x"))
        XCTAssertFalse(html.contains("<catalog>"))
        let escapedName = "&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt; &amp; &#39;q&#39; café 東京"
        XCTAssertTrue(html.contains("<h2>\(escapedName)</h2>"), "heading")
        XCTAssertTrue(html.contains("alt=\"before/after grid of \(escapedName)\""), "attribute")
        XCTAssertTrue(html.contains("&lt;b&gt;bold&lt;/b&gt;, Tom &amp; &quot;Jerry&quot;"))
        XCTAssertTrue(html.contains("<li>&lt;img src=x onerror=alert(1)&gt;</li>"))
        XCTAssertTrue(html.contains("<td>a &#39;cat&#39; &amp; &lt;dog&gt; &quot;here&quot; 猫</td>"))
        XCTAssertTrue(html.contains("&lt;catalog&gt;&amp;.yaml"))
        XCTAssertTrue(html.contains("<tr><td>&lt;i&gt;rate&lt;/i&gt;</td><td class=\"num\">—</td><td class=\"num\">1.00 &lt;u&gt;</td>"))
        XCTAssertTrue(html.contains("<title>&lt;i&gt;rate&lt;/i&gt; of \(escapedName) over 1 runs</title>"), "sparkline title")
    }

    func testEscapeReplacesEachSpecialCharacter() {
        XCTAssertEqual(HTML.escape("a<b>&\"c'\u{0}é"), "a&lt;b&gt;&amp;&quot;c&#39;\u{FFFD}é")
        XCTAssertEqual(HTML.escape(""), "")
    }

    func testLinksPercentEncodeLibraryPaths() {
        XCTAssertEqual(HTML.link(toLibraryPath: "red/grid.png"), "../red/grid.png")
        XCTAssertEqual(HTML.link(toLibraryPath: "café 東/a#b?c%d&e\"f.png"),
                       "../caf%C3%A9%20%E6%9D%B1/a%23b%3Fc%25d%26e%22f.png")
    }

    func testAbsentGridLeavesNoImageTag() throws {
        let html = try render([ReportSamples.passed(grid: nil), ReportSamples.failed(grid: nil)])
        XCTAssertFalse(html.contains("<img"))
        XCTAssertEqual(html.components(separatedBy: "No before/after grid for this run.").count - 1, 2)
    }

    func testGridImageIsLinkedRelativeToTheReportFolder() throws {
        var concept = ReportSamples.passed(grid: "blue sky/grid.png")
        concept.name = "blue sky"
        let html = try render([concept])
        XCTAssertEqual(html.components(separatedBy: "<img ").count - 1, 1)
        XCTAssertTrue(html.contains("<img src=\"../blue%20sky/grid.png\""))
        XCTAssertTrue(html.contains("href=\"../red/red.safetensors\""))
        XCTAssertTrue(html.contains("href=\"../red/evaluation/report.json\""))
    }

    func testVerdictsAndPublicationAreShown() throws {
        var notGated = ReportSamples.passed(grid: nil)
        notGated.name = "green"
        notGated.verdict = .notGated
        var notEvaluated = ReportSamples.passed(grid: nil)
        notEvaluated.name = "blue"
        notEvaluated.verdict = .notEvaluated
        notEvaluated.metrics = []
        notEvaluated.multipliers = []
        let html = try render([ReportSamples.passed(), ReportSamples.failed(), notGated, notEvaluated])
        XCTAssertTrue(html.contains("<span class=\"badge passed\">gate passed</span>"))
        XCTAssertTrue(html.contains("<span class=\"badge failed\">gate failed</span>"))
        XCTAssertTrue(html.contains("<span class=\"badge not_gated\">not gated</span>"))
        XCTAssertTrue(html.contains("<span class=\"badge not_evaluated\">not evaluated</span>"))
        XCTAssertTrue(html.contains("<ul class=\"reasons\">\n<li>target rate 45.0 % is above max_target_rate 0.0 %</li>\n</ul>"))
        XCTAssertEqual(html.components(separatedBy: "<ul class=\"reasons\">").count - 1, 1, "only the failed concept lists reasons")
        // Each concept's badge is shown in the summary table and in its section.
        XCTAssertEqual(html.components(separatedBy: "<span class=\"badge published\">published</span>").count - 1, 6)
        XCTAssertEqual(html.components(separatedBy: "<span class=\"badge candidate\">kept as candidate</span>").count - 1, 2)
        XCTAssertTrue(html.contains("Not evaluated: no metrics."))
    }

    func testFailedVerdictWithoutReasonsSaysSo() throws {
        var concept = ReportSamples.failed()
        concept.verdict = .failed(reasons: [])
        XCTAssertTrue(try render([concept]).contains("<li>no reason given</li>"))
    }

    func testMetricsTableShowsBeforeAfterLimitAndHeld() throws {
        let html = try render([ReportSamples.passed(), ReportSamples.failed()])
        XCTAssertTrue(html.contains("<tr><td>target rate</td><td class=\"num\">87.50 %</td><td class=\"num\">12.50 %</td>"
            + "<td class=\"num\">−75.00 %</td><td class=\"num\">≤ 20.00 %</td><td class=\"held\">held</td></tr>"), html)
        XCTAssertTrue(html.contains("<td class=\"num\">drop ≤ 5.00 %</td><td class=\"held\">held</td>"))
        XCTAssertTrue(html.contains("<tr><td>PSNR</td><td class=\"num\">—</td><td class=\"num\">27.31 dB</td>"
            + "<td class=\"num\">—</td><td class=\"num\">—</td><td>—</td></tr>"))
        XCTAssertTrue(html.contains("<td class=\"num\">≤ 0 %</td><td class=\"missed\">missed</td>"))
    }

    func testRunSummaryAndMultipliers() throws {
        let html = try render([ReportSamples.passed(), ReportSamples.failed()], run: ReportSamples.run(exitCode: 5))
        XCTAssertTrue(html.contains("<dt>date (UTC)</dt><dd>2026-12-01 06:00</dd>"))
        XCTAssertTrue(html.contains("<dt>ranks</dt><dd>3</dd>"))
        XCTAssertTrue(html.contains("<dt>membranes trained</dt><dd>2</dd>"))
        XCTAssertTrue(html.contains("<dt>duration</dt><dd>12 min 34 s</dd>"))
        XCTAssertTrue(html.contains("<dt>throughput</dt><dd>1.59 it/s</dd>"))
        XCTAssertTrue(html.contains("<div class=\"bad\"><dt>exit code</dt><dd>5</dd>"))
        XCTAssertTrue(html.contains("<tr><td>a red circle</td><td>facilitated</td><td class=\"num\">0.982</td></tr>"))
        XCTAssertTrue(html.contains("<th>membrane 1</th><th>membrane 2</th>"))
        XCTAssertTrue(html.contains("<td class=\"num\">0.900</td><td class=\"num\">0.250</td>"))
        XCTAssertFalse(try render([ReportSamples.passed()]).contains("class=\"bad\""))
    }

    func testPageLoadsNothingFromElsewhere() throws {
        let html = try render([ReportSamples.passed(), ReportSamples.failed()])
        XCTAssertFalse(html.contains("http:") || html.contains("https:") || html.contains("//"), "no absolute URL")
        XCTAssertFalse(html.contains("<script") || html.contains("<link") || html.contains("@import"))
        XCTAssertFalse(html.contains("url("), "no style sheet resource")
        XCTAssertTrue(html.hasPrefix("<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">"))
    }

    func testUnusablePathsAndDatesAreRefusedNamingTheConcept() {
        let cases: [(ConceptReport, String)] = [
            (ReportSamples.passed(grid: "/etc/grid.png"), "concept 'red': grid '/etc/grid.png' is absolute"),
            (ReportSamples.passed(grid: "red/../../x.png"), "concept 'red': grid 'red/../../x.png' leaves the library folder"),
            (ReportSamples.passed(grid: ""), "concept 'red': grid '' is empty"),
            ({ var c = ReportSamples.failed(); c.membraneFile = "a\nb"; return c }(),
             "concept 'triangle': membraneFile 'a\nb' contains a control character"),
            ({ var c = ReportSamples.failed(); c.reportJSON = "../r.json"; return c }(),
             "concept 'triangle': reportJSON '../r.json' leaves the library folder"),
        ]
        for (concept, expected) in cases {
            XCTAssertThrowsError(try render([concept])) { error in
                let report = error as? ReportError
                XCTAssertEqual(report?.path, "report/index.html")
                XCTAssertTrue(report?.problem.hasPrefix(expected) ?? false, "\(error)")
            }
        }
        XCTAssertThrowsError(try render([ReportSamples.passed()], run: ReportSamples.run(date: "yesterday"))) { error in
            XCTAssertTrue("\(error)".contains("run date 'yesterday' is not an ISO 8601 date in UTC"), "\(error)")
        }
        XCTAssertThrowsError(try render([], run: ReportSamples.run(date: "2026-12-01T06:00:00+01:00")))
        XCTAssertNoThrow(try render([], run: ReportSamples.run(date: "2026-12-01T06:00:00.250Z")))
    }

    func testNumbersAndDurations() {
        XCTAssertEqual(HTML.number(0), "0")
        XCTAssertEqual(HTML.number(0.12345), "0.123")
        XCTAssertEqual(HTML.number(12.5, unit: "%"), "12.50 %")
        XCTAssertEqual(HTML.number(1234.56, unit: "dB"), "1234.6 dB")
        XCTAssertEqual(HTML.number(.infinity, unit: "dB"), "∞")
        XCTAssertEqual(HTML.number(.nan), "n/a")
        XCTAssertEqual(HTML.change(2.5, unit: "%"), "+2.50 %")
        XCTAssertEqual(HTML.change(-1, unit: ""), "−1.00")
        XCTAssertEqual(LibraryReportWriter.duration(42), "42.0 s")
        XCTAssertEqual(LibraryReportWriter.duration(3725), "1 h 02 min")
        XCTAssertEqual(LibraryReportWriter.multiplier(.nan), "n/a")
    }
}
