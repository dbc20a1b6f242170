extension LibraryReportWriter {
    /// A concept's section: heading, badges, files, grid, metrics, history and multipliers.
    static func conceptSection(_ concept: ConceptReport, anchor: String, points: [HistoryPoint]) -> String {
        let name = HTML.escape(concept.name)
        var html = "<section class=\"concept\" id=\"\(anchor)\">\n<header><h2>\(name)</h2>"
            + verdictBadge(concept.verdict) + publicationBadge(concept.published) + "</header>\n"
        let targets = concept.targets.isEmpty ? "no targets" : concept.targets.joined(separator: ", ")
        html += "<p class=\"targets\">erases: \(HTML.escape(targets))</p>\n"
        if case .failed(let reasons) = concept.verdict {
            html += "<ul class=\"reasons\">\n"
            for reason in reasons.isEmpty ? ["no reason given"] : reasons {
                html += "<li>\(HTML.escape(reason))</li>\n"
            }
            html += "</ul>\n"
        }
        html += "<p class=\"files\">membrane: \(fileLink(concept.membraneFile))"
        if let report = concept.reportJSON { html += " · evaluation: \(fileLink(report))" }
        html += "</p>\n"
        html += grid(concept)
        html += "<h3>Metrics</h3>\n" + metricsTable(concept.metrics)
        html += "<h3>History</h3>\n" + historyTable(points, current: concept.metrics, concept: concept.name)
        html += "<h3>Transport multipliers of the evaluation prompts</h3>\n" + multipliersTable(concept.multipliers)
        return html + "</section>\n"
    }

    /// A link to a library file, showing its path.
    static func fileLink(_ path: String) -> String {
        "<a href=\"\(HTML.escape(HTML.link(toLibraryPath: path)))\">\(HTML.escape(path))</a>"
    }

    /// The before/after grid, or a note when the concept has none (never an `<img>` without a file).
    static func grid(_ concept: ConceptReport) -> String {
        guard let grid = concept.grid else { return "<p class=\"none\">No before/after grid for this run.</p>\n" }
        let source = HTML.escape(HTML.link(toLibraryPath: grid))
        return "<figure><img src=\"\(source)\" alt=\"before/after grid of \(HTML.escape(concept.name))\">"
            + "<figcaption>before / after: \(HTML.escape(grid))</figcaption></figure>\n"
    }

    /// Metric, before, after, change, gate limit and whether it held.
    static func metricsTable(_ metrics: [ReportMetric]) -> String {
        guard !metrics.isEmpty else { return "<p class=\"none\">Not evaluated: no metrics.</p>\n" }
        var html = "<table class=\"metrics\">\n<thead><tr><th>metric</th><th>before</th><th>after</th><th>change</th>"
            + "<th>gate limit</th><th>held</th></tr></thead>\n<tbody>\n"
        for metric in metrics {
            let before = metric.before.map { HTML.number($0, unit: metric.unit) } ?? "—"
            let change = metric.before.map { HTML.change(metric.after - $0, unit: metric.unit) } ?? "—"
            var limit = "—"
            var held = "<td>—</td>"
            if let gate = metric.gate {
                let bound = "≤ " + HTML.number(gate.limit, unit: metric.unit)
                limit = gate.kind == .maximum ? bound : "drop " + bound
                held = gate.held ? "<td class=\"held\">held</td>" : "<td class=\"missed\">missed</td>"
            }
            html += "<tr><td>\(HTML.escape(metric.name))</td><td class=\"num\">\(HTML.escape(before))</td>"
                + "<td class=\"num\">\(HTML.escape(HTML.number(metric.after, unit: metric.unit)))</td>"
                + "<td class=\"num\">\(HTML.escape(change))</td><td class=\"num\">\(HTML.escape(limit))</td>\(held)</tr>\n"
        }
        return html + "</tbody>\n</table>\n"
    }

    /// Prompt, transport and one column per membrane.
    static func multipliersTable(_ multipliers: [ReportMultiplier]) -> String {
        guard !multipliers.isEmpty else { return "<p class=\"none\">No evaluation prompts.</p>\n" }
        let columns = max(1, multipliers.map(\.values.count).max() ?? 1)
        var html = "<table class=\"multipliers\">\n<thead><tr><th>prompt</th><th>transport</th>"
        for column in 0..<columns {
            html += columns == 1 ? "<th>multiplier</th>" : "<th>membrane \(column + 1)</th>"
        }
        html += "</tr></thead>\n<tbody>\n"
        for row in multipliers {
            html += "<tr><td>\(HTML.escape(row.prompt))</td><td>\(HTML.escape(row.transport))</td>"
            for column in 0..<columns {
                let value = column < row.values.count ? multiplier(row.values[column]) : "—"
                html += "<td class=\"num\">\(HTML.escape(value))</td>"
            }
            html += "</tr>\n"
        }
        return html + "</tbody>\n</table>\n"
    }

    /// A multiplier with 3 decimals (`n/a` when not finite).
    static func multiplier(_ value: Float) -> String {
        value.isFinite ? String(format: "%.3f", Double(value)) : HTML.number(Double(value))
    }
}
