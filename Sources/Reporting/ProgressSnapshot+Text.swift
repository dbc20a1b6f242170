import Foundation
import Logging

extension ProgressSnapshot {
    /// `[#####---------------]`: `width` cells, the filled ones in proportion to done/total.
    func bar(width: Int) -> String {
        let cells = max(width, 0)
        let filled = total > 0 ? min(max(done, 0) * cells / total, cells) : cells
        return "[" + String(repeating: "#", count: filled) + String(repeating: "-", count: cells - filled) + "]"
    }

    /// The parts after the count: named values, the rate, then the time left (or, once
    /// finished, the time taken).
    var details: [String] {
        var parts = values.map { "\($0.name) \(Self.number($0.value))" }
        parts.append((rate.map { String(format: "%.2f", $0) } ?? "--") + " \(unit)/s")
        if finished {
            parts.append("took " + CompactDuration.string(elapsed))
        } else {
            parts.append("ETA " + CompactDuration.string(remaining ?? .nan))
        }
        return parts
    }

    /// The line redrawn on a terminal: `train [#####---] 45/300  erase 0.00812  ...`.
    func terminalLine(barWidth: Int) -> String {
        (["\(label) \(bar(width: barWidth)) \(done)/\(total)"] + details).joined(separator: "  ")
    }

    /// The message of a periodic line elsewhere: `45/300 (15%)  erase 0.00812  ...`; the label
    /// comes from the log line around it.
    var plainMessage: String {
        (["\(done)/\(total) (\(percent)%)"] + details).joined(separator: "  ")
    }

    /// The same numbers as log metadata, for JSON lines: the values by name, then `done`,
    /// `total`, `per_second`, `elapsed_seconds` and `eta_seconds` (while known), which win
    /// over values of the same name.
    var metadata: Logger.Metadata {
        var fields: Logger.Metadata = [:]
        for (name, value) in values {
            fields[name] = .string(String(format: "%.6g", value))
        }
        fields["done"] = .string("\(done)")
        fields["total"] = .string("\(total)")
        fields["elapsed_seconds"] = .string(String(format: "%.1f", elapsed))
        if let rate { fields["per_second"] = .string(String(format: "%.4g", rate)) }
        if let remaining, !finished { fields["eta_seconds"] = .string(String(format: "%.0f", remaining)) }
        return fields
    }

    /// Three significant digits: `0.00812`, `0.000301`, `12.3`, `1.5e-05`.
    static func number(_ value: Double) -> String {
        String(format: "%.3g", value)
    }
}
