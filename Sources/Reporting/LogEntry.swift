import Foundation
import Logging

/// One log entry with everything a line shows, ready to be rendered in either `LogFormat`.
struct LogEntry {
    var time: Date
    var level: Logger.Level
    var label: String
    var message: String
    /// The handler's, the provider's and the call's metadata merged, the call's winning.
    var metadata: Logger.Metadata

    /// The entry as one line (without the newline) in `format`.
    func line(_ format: LogFormat) -> String {
        switch format {
        case .text: return textLine
        case .jsonLines: return jsonLine
        }
    }
}
