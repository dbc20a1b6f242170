import Foundation

/// A small inline SVG line chart of a metric over past runs.
enum Sparkline {
    /// An `<svg>` of `values` (oldest first) scaled to their own minimum and maximum, with the last
    /// value marked by a dot. Non-finite values leave a gap; a single value or equal values draw a
    /// flat line in the middle. `label` (escaped here) becomes the chart's accessible title.
    static func svg(_ values: [Double], label: String, width: Double = 160, height: Double = 28) -> String {
        let pad = 3.0
        let finite = values.filter(\.isFinite)
        var body = "<title>\(HTML.escape(label))</title>"
        if let low = finite.min(), let high = finite.max() {
            let step = values.count > 1 ? (width - 2 * pad) / Double(values.count - 1) : 0
            func x(_ index: Int) -> Double { values.count > 1 ? pad + Double(index) * step : width / 2 }
            func y(_ value: Double) -> Double {
                high > low ? height - pad - (value - low) / (high - low) * (height - 2 * pad) : height / 2
            }
            var segments: [[String]] = [[]]
            for (index, value) in values.enumerated() {
                if value.isFinite {
                    segments[segments.count - 1].append(coordinate(x(index)) + "," + coordinate(y(value)))
                } else if !(segments.last?.isEmpty ?? true) {
                    segments.append([])
                }
            }
            for segment in segments where segment.count > 1 {
                body += "<polyline points=\"\(segment.joined(separator: " "))\"/>"
            }
            if let last = values.indices.last(where: { values[$0].isFinite }) {
                body += "<circle cx=\"\(coordinate(x(last)))\" cy=\"\(coordinate(y(values[last])))\" r=\"2.5\"/>"
            }
        }
        return "<svg class=\"sparkline\" role=\"img\" width=\"\(coordinate(width))\" height=\"\(coordinate(height))\" "
            + "viewBox=\"0 0 \(coordinate(width)) \(coordinate(height))\">"
            + body + "</svg>"
    }

    private static func coordinate(_ value: Double) -> String { String(format: "%.1f", value) }
}
