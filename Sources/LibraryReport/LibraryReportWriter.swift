import AtomicFiles
import Foundation

/// Writes `LIBRARY/report/index.html`: one static page (inline style sheet, no script, nothing
/// loaded from elsewhere) with the run at the top and a section per concept (verdict, grid,
/// metrics, their history, transport multipliers). Library files are linked as `../PATH`.
public enum LibraryReportWriter {
    /// Renders the report of `run` and replaces `LIBRARY/report/index.html` atomically (readers see
    /// the old or the whole new page), creating `LIBRARY/report` if needed. `history` should already
    /// hold this run (see ``update(run:concepts:library:)``).
    /// - Throws: ``ReportError`` naming the page: a path in `concepts` that is absolute, empty or
    ///   leaves the library, a run date that is not ISO 8601 UTC, or a failed write.
    public static func write(run: ReportRun, concepts: [ConceptReport], history: ReportHistory, to library: URL) throws {
        let page = ReportLayout.page(in: library)
        let html: String
        do {
            html = try render(run: run, concepts: concepts, history: history)
        } catch let error as ReportError {
            throw ReportError(path: page.path, problem: error.problem)
        }
        try ReportLayout.createFolder(in: library)
        do {
            try AtomicFile.write(Data(html.utf8), to: page)
        } catch {
            throw ReportError(path: page.path, problem: "\(error)")
        }
    }

    /// Reads `LIBRARY/report/history.json`, appends `run`, saves it, and writes the page: what a
    /// catalog run does at its end. Returns the saved history.
    /// - Throws: ``ReportError`` naming the history file or the page.
    @discardableResult
    public static func update(run: ReportRun, concepts: [ConceptReport], library: URL) throws -> ReportHistory {
        try validate(run: run, concepts: concepts, page: ReportLayout.page(in: library).path)
        let history = try ReportHistory.load(from: library).appending(run: run, concepts: concepts)
        try history.save(to: library)
        try write(run: run, concepts: concepts, history: history, to: library)
        return history
    }

    /// The page's HTML (what ``write(run:concepts:history:to:)`` writes).
    /// - Throws: ``ReportError`` with the path `report/index.html` for input that cannot be shown.
    public static func render(run: ReportRun, concepts: [ConceptReport], history: ReportHistory) throws -> String {
        try validate(run: run, concepts: concepts, page: ReportLayout.folder + "/" + ReportLayout.page)
        var html = """
        <!DOCTYPE html>
        <html lang="en">
        <head>
        <meta charset="utf-8">
        <meta name="viewport" content="width=device-width, initial-scale=1">
        <title>Membrane library report \(HTML.escape(HTML.shortDate(run.date)))</title>
        <style>
        \(ReportStyle.css)
        </style>
        </head>
        <body>
        <h1>Membrane library report</h1>

        """
        html += runSummary(run)
        html += conceptSummary(concepts)
        for (index, concept) in concepts.enumerated() {
            html += conceptSection(concept, anchor: anchor(index), points: history.points(for: concept.name))
        }
        html += """
        <footer>Written by membrane at the end of the catalog run of \(HTML.escape(run.date)). \
        A static page: it loads nothing from the network; pictures and files are linked relative to the library folder.</footer>
        </body>
        </html>

        """
        return html
    }

    /// Refuses a run date that is not ISO 8601 UTC and library paths that are unusable as links.
    static func validate(run: ReportRun, concepts: [ConceptReport], page: String) throws {
        guard ReportRun.isUTCDate(run.date) else {
            throw ReportError(path: page, problem: "run date '\(run.date)' is not an ISO 8601 date in UTC (e.g. 2026-12-01T06:00:00Z)")
        }
        for concept in concepts {
            let paths: [(String, String?)] = [("membraneFile", concept.membraneFile), ("grid", concept.grid),
                                              ("reportJSON", concept.reportJSON)]
            for case let (field, path?) in paths {
                if let problem = HTML.problem(withLibraryPath: path) {
                    throw ReportError(path: page, problem: "concept '\(concept.name)': \(field) '\(path)' \(problem)")
                }
            }
        }
    }

    /// The element id of the `index`-th concept's section (names are user input, ids are not).
    static func anchor(_ index: Int) -> String { "concept-\(index + 1)" }

    /// The run's figures as a grid of labelled boxes.
    static func runSummary(_ run: ReportRun) -> String {
        let items: [(String, String, Bool)] = [
            ("date (UTC)", HTML.shortDate(run.date), false),
            ("ranks", "\(run.ranks)", false),
            ("membranes trained", "\(run.membranesTrained)", false),
            ("iterations", "\(run.iterations)", false),
            ("duration", duration(run.seconds), false),
            ("throughput", HTML.number(run.throughput, unit: "it/s"), false),
            ("exit code", "\(run.exitCode)", run.exitCode != 0),
            ("catalog", run.catalog, false),
        ]
        var html = "<dl class=\"run\">\n"
        for (label, value, bad) in items {
            html += "<div\(bad ? " class=\"bad\"" : "")><dt>\(HTML.escape(label))</dt><dd>\(HTML.escape(value))</dd></div>\n"
        }
        return html + "</dl>\n"
    }

    /// One line per concept: name (linked to its section), verdict and where the membrane went.
    static func conceptSummary(_ concepts: [ConceptReport]) -> String {
        guard !concepts.isEmpty else { return "<p class=\"none\">This run reported no concepts.</p>\n" }
        var html = "<table class=\"summary\">\n<thead><tr><th>concept</th><th>targets</th><th>gate</th><th>membrane</th></tr></thead>\n<tbody>\n"
        for (index, concept) in concepts.enumerated() {
            html += "<tr><td><a href=\"#\(anchor(index))\">\(HTML.escape(concept.name))</a></td>"
                + "<td>\(HTML.escape(concept.targets.joined(separator: ", ")))</td>"
                + "<td>\(verdictBadge(concept.verdict))</td><td>\(publicationBadge(concept.published))</td></tr>\n"
        }
        return html + "</tbody>\n</table>\n"
    }

    /// `1 h 02 min`, `3 min 05 s` or `42.0 s`.
    static func duration(_ seconds: Double) -> String {
        guard seconds.isFinite, seconds >= 0 else { return HTML.number(seconds) }
        let whole = Int(seconds.rounded())
        if whole >= 3600 { return String(format: "%d h %02d min", whole / 3600, (whole % 3600) / 60) }
        if whole >= 60 { return String(format: "%d min %02d s", whole / 60, whole % 60) }
        return String(format: "%.1f s", seconds)
    }

    static func verdictBadge(_ verdict: GateVerdict) -> String {
        "<span class=\"badge \(verdict.status)\">\(HTML.escape(verdict.label))</span>"
    }

    static func publicationBadge(_ published: Bool) -> String {
        published ? "<span class=\"badge published\">published</span>"
            : "<span class=\"badge candidate\">kept as candidate</span>"
    }
}
