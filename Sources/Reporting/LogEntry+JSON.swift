import Foundation
import Logging

extension LogEntry {
    /// One JSON object on one line: `time`, `level`, `label`, `message` and, when there is
    /// any, `metadata`; keys sorted, so equal entries give equal lines.
    var jsonLine: String {
        var object: [String: Any] = [
            "time": UTCTimestamp.string(time),
            "level": level.rawValue,
            "label": label,
            "message": message,
        ]
        if !metadata.isEmpty {
            object["metadata"] = metadata.mapValues(Self.jsonValue)
        }
        // Strings, arrays and dictionaries of strings always serialize.
        let data = try! JSONSerialization.data(withJSONObject: object, options: [.sortedKeys, .withoutEscapingSlashes])
        return String(decoding: data, as: UTF8.self)
    }

    /// A metadata value as a JSON value: strings stay strings (other values by their
    /// description), arrays and dictionaries keep their structure.
    static func jsonValue(_ value: Logger.MetadataValue) -> Any {
        switch value {
        case .string(let text): return text
        case .stringConvertible(let convertible): return convertible.description
        case .array(let values): return values.map(jsonValue)
        case .dictionary(let values): return values.mapValues(jsonValue)
        }
    }
}
