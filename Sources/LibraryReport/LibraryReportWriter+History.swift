extension LibraryReportWriter {
    /// Runs shown as columns of the history table (the sparklines cover every kept run).
    public static let historyColumns = 10

    /// A concept's history: a verdict row and a row per metric (sparkline over every kept run, then
    /// the values of the last ``historyColumns`` runs, oldest first, in this run's units). Metrics of this run come
    /// first, then any other metric of past runs in name order.
    static func historyTable(_ points: [HistoryPoint], current: [ReportMetric], concept: String) -> String {
        guard !points.isEmpty else { return "<p class=\"none\">No past runs recorded.</p>\n" }
        let shown = Array(points.suffix(historyColumns))
        var names: [String] = []
        for metric in current where !names.contains(metric.name) { names.append(metric.name) }
        var units: [String: String] = [:]
        for metric in current { units[metric.name] = metric.unit }
        let others = Set(points.flatMap { $0.metrics.keys }).subtracting(names)
        names += others.sorted()

        var html = "<p class=\"history-note\">\(points.count) run\(points.count == 1 ? "" : "s") recorded"
        if points.count > shown.count { html += "; the table shows the last \(shown.count)" }
        html += ".</p>\n<table class=\"history\">\n<thead><tr><th>run</th><th>trend</th>"
        for point in shown { html += "<th>\(HTML.escape(HTML.shortDate(point.date)))</th>" }
        html += "</tr></thead>\n<tbody>\n<tr><td>gate</td><td></td>"
        for point in shown {
            html += "<td class=\"mark \(point.verdict.status)\" title=\"\(HTML.escape(point.verdict.label))\">"
                + "\(HTML.escape(mark(point.verdict)))</td>"
        }
        html += "</tr>\n"
        for name in names {
            let values = points.map { $0.metrics[name] ?? .nan }
            let label = "\(name) of \(concept) over \(points.count) runs"
            html += "<tr><td>\(HTML.escape(name))</td><td>\(Sparkline.svg(values, label: label))</td>"
            for point in shown {
                html += "<td class=\"num\">\(HTML.escape(point.metrics[name].map { HTML.number($0, unit: units[name] ?? "") } ?? "—"))</td>"
            }
            html += "</tr>\n"
        }
        return html + "</tbody>\n</table>\n"
    }

    /// The history table's short verdict: `passed`, `failed`, `not gated` or `not evaluated`.
    static func mark(_ verdict: GateVerdict) -> String {
        switch verdict {
        case .passed: "✓ passed"
        case .failed: "✗ failed"
        case .notGated: "not gated"
        case .notEvaluated: "not evaluated"
        }
    }
}
