import Logging

/// Process-wide set-up of logging and of where progress lines go.
public enum Reporting {
    /// What `bootstrap` chose; progress reporters follow it.
    struct Configuration {
        var format: LogFormat = .text
        var metadata: Logger.Metadata = [:]
        var sink: OutputSink = .standardError
    }

    /// The configuration installed by `bootstrap`, nil before.
    private static let installed = Locked<Configuration?>(nil)

    /// The configuration in force: the bootstrapped one, or text on standard error.
    static var configuration: Configuration {
        installed.withLock { $0 } ?? Configuration()
    }

    /// Makes every `Logger` in this process write through a `ReportingLogHandler`: entries at
    /// `level` and above, as `format`, to `sink` (standard error unless a test gives another),
    /// each with `metadata` added (for example the MPI rank). `ProgressReporter`s made
    /// afterwards write in the same format to the same sink.
    ///
    /// swift-log allows one bootstrap per process and traps on a second; this one returns
    /// `false` and changes nothing when it has run before, so commands may call it
    /// unconditionally. It cannot see a `LoggingSystem.bootstrap` made elsewhere.
    @discardableResult
    public static func bootstrap(level: Logger.Level = .info, format: LogFormat = .text,
                                 metadata: Logger.Metadata = [:], sink: OutputSink = .standardError) -> Bool {
        installed.withLock { configuration in
            guard configuration == nil else { return false }
            configuration = Configuration(format: format, metadata: metadata, sink: sink)
            LoggingSystem.bootstrap { label in
                var handler = ReportingLogHandler(label: label, level: level, format: format, sink: sink)
                handler.metadata = metadata
                return handler
            }
            return true
        }
    }
}
