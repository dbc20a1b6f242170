import Foundation

/// Text made safe for the report's HTML, links made from library paths, and numbers as shown.
enum HTML {
    /// `text` with `& < > " '` replaced by character references: safe in element content and in
    /// quoted attribute values.
    static func escape(_ text: String) -> String {
        var result = ""
        result.unicodeScalars.reserveCapacity(text.unicodeScalars.count)
        for scalar in text.unicodeScalars {
            switch scalar {
            case "&": result += "&amp;"
            case "<": result += "&lt;"
            case ">": result += "&gt;"
            case "\"": result += "&quot;"
            case "'": result += "&#39;"
            case "\0": result += "\u{FFFD}"
            default: result.unicodeScalars.append(scalar)
            }
        }
        return result
    }

    /// Why `path` cannot be a library-relative path, or `nil` when it can: it must be non-empty,
    /// relative, without `..` components and without control characters.
    static func problem(withLibraryPath path: String) -> String? {
        if path.isEmpty { return "is empty" }
        if path.hasPrefix("/") { return "is absolute (it must be relative to the library folder)" }
        if path.split(separator: "/", omittingEmptySubsequences: false).contains("..") {
            return "leaves the library folder ('..')"
        }
        if path.unicodeScalars.contains(where: { $0.value < 0x20 || $0.value == 0x7F }) {
            return "contains a control character"
        }
        return nil
    }

    /// The link from `report/index.html` to a library-relative path: `../` followed by the path
    /// with every byte outside `A-Z a-z 0-9 - . _ ~ /` percent-encoded (UTF-8), so spaces, `#`, `?`,
    /// `%` and non-ASCII names reach the file. Not yet HTML-escaped (it needs none, but callers
    /// escape every attribute value alike).
    static func link(toLibraryPath path: String) -> String {
        var result = "../"
        for byte in path.utf8 {
            switch byte {
            case UInt8(ascii: "A")...UInt8(ascii: "Z"), UInt8(ascii: "a")...UInt8(ascii: "z"),
                 UInt8(ascii: "0")...UInt8(ascii: "9"),
                 UInt8(ascii: "-"), UInt8(ascii: "."), UInt8(ascii: "_"), UInt8(ascii: "~"), UInt8(ascii: "/"):
                result.unicodeScalars.append(Unicode.Scalar(byte))
            default:
                result += String(format: "%%%02X", byte)
            }
        }
        return result
    }

    /// A figure as shown: `n/a` for NaN, `∞` / `−∞`, otherwise 1 decimal from 100 on, 2 from 1 on,
    /// 3 below (always `.` as the decimal point).
    static func number(_ value: Double) -> String {
        if value.isNaN { return "n/a" }
        if value.isInfinite { return value > 0 ? "∞" : "−∞" }
        if value == 0 { return "0" }
        let magnitude = abs(value)
        let digits = magnitude >= 100 ? 1 : (magnitude >= 1 ? 2 : 3)
        return String(format: "%.\(digits)f", value)
    }

    /// A figure with its unit, e.g. `12.50 %`, `31.20 dB`, `0.250`.
    static func number(_ value: Double, unit: String) -> String {
        unit.isEmpty || !value.isFinite ? number(value) : number(value) + " " + unit
    }

    /// A signed difference, e.g. `+2.50 %` or `−1.00 dB`.
    static func change(_ value: Double, unit: String) -> String {
        guard value.isFinite, value != 0 else { return number(value, unit: unit) }
        let text = number(abs(value), unit: unit)
        return (value > 0 ? "+" : "−") + text
    }

    /// A run date as shown: `2026-12-01 06:00` for ISO 8601 UTC dates, the text itself otherwise.
    static func shortDate(_ date: String) -> String {
        guard ReportRun.isUTCDate(date), date.count >= 16 else { return date }
        return String(date.prefix(16)).replacingOccurrences(of: "T", with: " ")
    }
}
