import ArgumentParser
import Logging
import Reporting

/// `--log-level` and `--log-format`, shared by the `membrane` commands through `@OptionGroup`.
///
/// A command calls `bootstrap()` first thing in `run()`; its `Logger`s and `ProgressReporter`s
/// then write to standard error at that level and in that format.
struct LoggingOptions: ParsableArguments {
    @Option(name: .customLong("log-level"), help: "Least level logged.")
    var level: Logger.Level = .info
    @Option(name: .customLong("log-format"), help: "Log lines as readable text or as JSON lines (one object per line).")
    var format: LogFormat = .text

    /// Installs the process's log handler with these options; later calls change nothing.
    func bootstrap() {
        Reporting.bootstrap(level: level, format: format)
    }
}

extension Logger.Level: @retroactive ExpressibleByArgument {}

extension LogFormat: ExpressibleByArgument {}
