import Foundation
import Logging

/// A swift-log handler that writes each entry as one line, text or JSON, to an `OutputSink`.
///
/// `Reporting.bootstrap` installs it for the whole process; tests build one directly with a
/// sink that collects the lines and a fixed clock.
public struct ReportingLogHandler: LogHandler {
    /// The logger's label, shown on every line.
    public let label: String
    /// Text or JSON lines.
    public let format: LogFormat
    /// Where the lines go.
    public let sink: OutputSink
    /// The time stamp of an entry written now.
    public let now: @Sendable () -> Date
    /// The least level written; `Logger` drops entries below it before they get here.
    public var logLevel: Logger.Level
    /// Metadata on every entry of this logger (the call's own wins on the same key).
    public var metadata: Logger.Metadata = [:]
    /// Metadata looked up at each entry, for example from task-local values.
    public var metadataProvider: Logger.MetadataProvider?

    /// A handler for the logger `label` that writes entries at `level` and above.
    public init(label: String, level: Logger.Level = .info, format: LogFormat = .text,
                sink: OutputSink = .standardError, metadataProvider: Logger.MetadataProvider? = nil,
                now: @escaping @Sendable () -> Date = { Date() }) {
        self.label = label
        self.logLevel = level
        self.format = format
        self.sink = sink
        self.metadataProvider = metadataProvider
        self.now = now
    }

    /// One key of `metadata`.
    public subscript(metadataKey key: String) -> Logger.Metadata.Value? {
        get { metadata[key] }
        set { metadata[key] = newValue }
    }

    /// Writes `event` as one line, its metadata merged over the provider's and this handler's,
    /// and its error, if any, as `error`.
    public func log(event: LogEvent) {
        var merged = metadata
        if let provided = metadataProvider?.get() {
            merged.merge(provided) { _, new in new }
        }
        if let own = event.metadata {
            merged.merge(own) { _, new in new }
        }
        if let error = event.error {
            merged["error"] = .string(String(describing: error))
        }
        let entry = LogEntry(time: now(), level: event.level, label: label,
                             message: event.message.description, metadata: merged)
        sink.writeLine(entry.line(format))
    }
}
