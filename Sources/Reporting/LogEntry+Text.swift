import Foundation
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
    /// quoted as a JSON string.
    static func textValue(_ value: Logger.MetadataValue) -> String {
        let text = value.description
        let plain = !text.isEmpty && !text.unicodeScalars.contains { scalar in
            scalar == "\"" || scalar == "=" || scalar == "\\" || scalar.properties.isWhitespace
                || scalar.properties.generalCategory == .control
        }
        return plain ? text : quoted(text)
    }

    /// `text` as a JSON string literal: in double quotes, with quotes, backslashes and control
    /// characters escaped.
    static func quoted(_ text: String) -> String {
        // A lone string always serializes once fragments are allowed.
        let data = try! JSONSerialization.data(withJSONObject: text, options: [.fragmentsAllowed, .withoutEscapingSlashes])
        return String(decoding: data, as: UTF8.self)
    }
}
