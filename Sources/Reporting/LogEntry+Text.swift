import Logging

extension LogEntry {
    /// `2026-12-01T12:00:00Z info coordinator: message key=value`, metadata keys sorted.
    var textLine: String {
        var line = "\(UTCTimestamp.string(time)) \(level.rawValue) \(label): \(message)"
        for key in metadata.keys.sorted() {
            line += " \(key)=\(Self.textValue(metadata[key]!))"
        }
        return line
    }

    /// A metadata value as it stands after `key=`: bare when that is unambiguous, otherwise
    /// quoted with backslash escapes.
    static func textValue(_ value: Logger.MetadataValue) -> String {
        let text = value.description
        let plain = !text.isEmpty && !text.unicodeScalars.contains { scalar in
            scalar == "\"" || scalar == "=" || scalar == "\\" || scalar.properties.isWhitespace
                || scalar.properties.generalCategory == .control
        }
        return plain ? text : quoted(text)
    }

    /// `text` in double quotes, with quotes, backslashes and control characters escaped.
    static func quoted(_ text: String) -> String {
        var result = "\""
        for scalar in text.unicodeScalars {
            switch scalar {
            case "\"": result += "\\\""
            case "\\": result += "\\\\"
            case "\n": result += "\\n"
            case "\r": result += "\\r"
            case "\t": result += "\\t"
            default:
                if scalar.properties.generalCategory == .control {
                    result += "\\u{\(String(scalar.value, radix: 16))}"
                } else {
                    result.unicodeScalars.append(scalar)
                }
            }
        }
        return result + "\""
    }
}
