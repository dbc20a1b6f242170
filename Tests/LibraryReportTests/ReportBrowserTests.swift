import Foundation
import Images
import LibraryReport
import TestSupport
import XCTest

/// The report in a real browser (Debian's chromium, headless): a screenshot with the grids in it,
/// every image loaded, every figure and verdict in the DOM, no markup from user input.
///
/// The screenshot is kept as `out/report-samples-screenshot.png`.
final class ReportBrowserTests: XCTestCase {
    var scratch: URL!
    var library: URL!
    var chromium: HeadlessChromium!

    /// Pure colours painted into the grids, looked for in the screenshot.
    static let gridColors: [[UInt8]] = [[255, 0, 0], [0, 0, 255], [255, 0, 255], [0, 255, 255]]
    /// A non-ASCII concept name with a space: its folder name must reach the browser intact.
    static let candidateName = "café triangle"

    override func setUpWithError() throws {
        scratch = try ReportSamples.folder("report-browser")
        library = scratch.appendingPathComponent("library")
        chromium = try HeadlessChromium.find(scratch: scratch)
    }

    override func tearDownWithError() throws { try? FileManager.default.removeItem(at: scratch) }

    /// A 2-tile grid (before | after) of 48x32 tiles in two pure colours, with a white gap.
    func writeGrid(_ relativePath: String, before: [UInt8], after: [UInt8]) throws {
        let url = library.appendingPathComponent(relativePath)
        try FileManager.default.createDirectory(at: url.deletingLastPathComponent(), withIntermediateDirectories: true)
        var image = try Image(width: 100, height: 32, channels: 3, fill: 255)
        for y in 0..<32 {
            for x in 0..<48 {
                for c in 0..<3 {
                    image[x, y, c] = before[c]
                    image[x + 52, y, c] = after[c]
                }
            }
        }
        try image.write(to: url.path)
    }

    /// The two concepts: one passed and published, one failed and kept as a candidate whose
    /// prompt holds markup, quotes and an ampersand.
    func concepts() -> [ConceptReport] {
        var candidate = ReportSamples.failed(grid: "\(Self.candidateName)/candidate/grid.png")
        candidate.name = Self.candidateName
        candidate.membraneFile = "\(Self.candidateName)/candidate/\(Self.candidateName).safetensors"
        candidate.reportJSON = "\(Self.candidateName)/candidate/evaluation/report.json"
        candidate.multipliers.append(ReportMultiplier(prompt: ReportSamples.hostileName, transport: "facilitated", values: [0.5, 0.125]))
        return [ReportSamples.passed(), candidate]
    }

    /// Grids on disk and four runs of history, the last one with `concepts`.
    func writeLibrary(_ concepts: [ConceptReport]) throws {
        try writeGrid("red/grid.png", before: Self.gridColors[0], after: Self.gridColors[1])
        try writeGrid("\(Self.candidateName)/candidate/grid.png", before: Self.gridColors[2], after: Self.gridColors[3])
        for (day, rate) in [(27, 60.0), (28, 35.0), (29, 20.0)] {
            var past = concepts
            for index in past.indices { past[index].metrics[0].after = rate }
            try LibraryReportWriter.update(run: ReportSamples.run(date: "2026-11-\(day)T06:00:00Z"), concepts: past, library: library)
        }
        try LibraryReportWriter.update(run: ReportSamples.run(), concepts: concepts, library: library)
    }

    /// The page in chromium with the image checker; fails when the checker did not run.
    func checkedDOM() throws -> (dom: String, check: HeadlessChromium.PageCheck) {
        let (dom, check, run) = try chromium.checkedDOM(of: ReportLayout.page(in: library))
        print("chromium --dump-dom: \(String(format: "%.1f", run.seconds)) s, exit \(run.status)")
        XCTAssertEqual(run.status, 0, run.stderr)
        guard let check else {
            XCTFail("the checker did not run (no load event?); DOM:\n\(dom.prefix(2000))\n\(run.stderr)")
            return (dom, HeadlessChromium.PageCheck(images: [], broken: ["no check"], scripts: -1))
        }
        return (dom, check)
    }

    func testReportRendersInChromiumWithEveryImageAndFigure() throws {
        let concepts = concepts()
        try writeLibrary(concepts)
        print("browser: \(try chromium.version())")

        let (dom, check) = try checkedDOM()
        let encodedName = "caf%C3%A9%20triangle"
        XCTAssertEqual(check.images, ["../red/grid.png", "../\(encodedName)/candidate/grid.png"])
        XCTAssertEqual(check.broken, [], "images that did not load")
        XCTAssertEqual(check.scripts, 1, "only the checker's script: user input made no <script>")
        for concept in concepts {
            for metric in concept.metrics {
                XCTAssertTrue(dom.contains(">\(metric.name)<"), "metric \(metric.name)")
            }
        }
        for figure in ["87.50 %", "12.50 %", "−75.00 %", "≤ 20.00 %", "90.50 %", "drop ≤ 5.00 %", "27.31 dB",
                       "75.00 %", "45.00 %", "≤ 0 %", "31.40", "24.25", "60.00 %", "35.00 %", "20.00 %"] {
            XCTAssertTrue(dom.contains(">\(figure)<"), "figure \(figure)")
        }
        for text in ["gate passed", "gate failed", "published", "kept as candidate", ">held<", ">missed<",
                     "target rate 45.0 % is above max_target_rate 0.0 %", "4 runs recorded.", "2026-11-27 06:00",
                     "a red circle", "0.982", "0.125", "<dd>1.59 it/s</dd>", "<dt>ranks</dt><dd>3</dd>",
                     "<h2>café triangle</h2>", "&lt;script&gt;alert(\"x\")&lt;/script&gt; &amp; 'q' café 東京"] {
            XCTAssertTrue(dom.contains(text), "text \(text)")
        }
        XCTAssertEqual(dom.components(separatedBy: "<svg class=\"sparkline\"").count - 1, 5, "a sparkline per metric")

        let screenshot = scratch.appendingPathComponent("report.png")
        let run = try chromium.screenshot(of: ReportLayout.page(in: library), to: screenshot)
        print("chromium --screenshot: \(String(format: "%.1f", run.seconds)) s, exit \(run.status)")
        XCTAssertEqual(run.status, 0, run.stderr)
        let image = try Image.read(path: screenshot.path)
        XCTAssertEqual([image.width, image.height], [1200, 2000])
        for color in Self.gridColors {
            XCTAssertTrue(contains(image, color), "grid colour \(color) is not in the screenshot")
        }
        XCTAssertGreaterThan(distinctColors(image), 50, "a page of text, badges and pictures")
        try keep(screenshot)
    }

    func testWrongImagePathIsCaughtByTheCheck() throws {
        var concepts = concepts()
        concepts[0].grid = "red/no-such-grid.png"
        try writeLibrary(concepts)
        try Data("not a png".utf8).write(to: library.appendingPathComponent("\(Self.candidateName)/candidate/grid.png"))
        let (_, check) = try checkedDOM()
        XCTAssertEqual(check.broken, ["../red/no-such-grid.png", "../caf%C3%A9%20triangle/candidate/grid.png"],
                       "a missing file and a file that is not a picture are both reported")
    }

    /// Whether some pixel of `image` is within 3 of `color` in every channel.
    func contains(_ image: Image, _ color: [UInt8]) -> Bool {
        let channels = image.channels
        var index = 0
        while index + 2 < image.pixels.count {
            if abs(Int(image.pixels[index]) - Int(color[0])) <= 3, abs(Int(image.pixels[index + 1]) - Int(color[1])) <= 3,
               abs(Int(image.pixels[index + 2]) - Int(color[2])) <= 3 { return true }
            index += channels
        }
        return false
    }

    func distinctColors(_ image: Image) -> Int {
        var seen = Set<UInt32>()
        var index = 0
        while index + 2 < image.pixels.count {
            seen.insert(UInt32(image.pixels[index]) << 16 | UInt32(image.pixels[index + 1]) << 8 | UInt32(image.pixels[index + 2]))
            index += image.channels
        }
        return seen.count
    }

    /// Copies the screenshot to out/report-samples-screenshot.png (the README's screenshot comes
    /// from a real catalog run: CatalogGateTests).
    func keep(_ screenshot: URL) throws {
        let package = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        for target in [package.appendingPathComponent("out/report-samples-screenshot.png")] {
            try FileManager.default.createDirectory(at: target.deletingLastPathComponent(), withIntermediateDirectories: true)
            try Data(contentsOf: screenshot).write(to: target, options: .atomic)
            print("report screenshot: \(target.path)")
        }
    }
}
