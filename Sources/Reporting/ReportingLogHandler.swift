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
    public var logLevel: Logger.Level
    public var metadata: Logger.Metadata = [:]
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

    public subscript(metadataKey key: String) -> Logger.Metadata.Value? {
        get { metadata[key] }
        set { metadata[key] = newValue }
    }

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
