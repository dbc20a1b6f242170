import Foundation
import Logging

/// Progress of a run of `total` units (iterations, steps) on standard error.
///
/// On a terminal each `update` redraws one line in place: a bar, done/total, named values, the
/// rate and the time left. Elsewhere (a log file, a pipe) a bar would only repeat itself, so it
/// writes a log line (in the bootstrapped `LogFormat`, at `info`) for the first update, the
/// last, and at most one every `interval` seconds in between.
///
/// ```swift
/// var progress = ProgressReporter(label: "train", total: iterations)
/// for iteration in 1...iterations {
///     let loss = step()
///     progress.update(done: iteration, values: ["erase": loss.erase, "anchor": loss.anchor])
/// }
/// progress.finish()
/// ```
public struct ProgressReporter {
    /// What runs, shown at the start of the line and as the log label.
    public let label: String
    /// Units in the whole run.
    public let total: Int
    /// What one unit is called in the rate (`it` gives `it/s`).
    public let unit: String
    /// Least seconds between two lines when not on a terminal.
    public let interval: Double
    /// Cells of the bar on a terminal.
    public let barWidth: Int
    private let initial: Int
    private let format: LogFormat
    private let metadata: Logger.Metadata
    private let sink: OutputSink
    private let clock: @Sendable () -> Date
    private let start: Date
    /// When the last line was written (not on a terminal); nil before the first.
    private var lastWritten: Date?
    /// An update not written yet because it came too soon after the last line.
    private var pending: (ProgressSnapshot, Date)?

    /// A reporter for `total` units of `label`, starting the clock now.
    ///
    /// - Parameters:
    ///   - initial: units already done before this run (a resumed one); the rate counts only
    ///     the units done from now on.
    ///   - format, metadata, sink: nil follows `Reporting.bootstrap` (text on standard error,
    ///     no metadata, before it); tests give a sink that collects the text and says whether
    ///     it is a terminal.
    ///   - clock: the current time; tests give a fixed sequence.
    public init(label: String, total: Int, initial: Int = 0, unit: String = "it",
                interval: Double = 10, barWidth: Int = 20,
                format: LogFormat? = nil, metadata: Logger.Metadata? = nil, sink: OutputSink? = nil,
                clock: @escaping @Sendable () -> Date = { Date() }) {
        let configuration = Reporting.configuration
        self.label = label
        self.total = total
        self.initial = initial
        self.unit = unit
        self.interval = interval
        self.barWidth = barWidth
        self.format = format ?? configuration.format
        self.metadata = metadata ?? configuration.metadata
        self.sink = sink ?? configuration.sink
        self.clock = clock
        start = clock()
    }

    /// Reports that `done` units are complete, with named values in the order given
    /// (`values: ["erase": 0.00812, "anchor": 0.000301]`).
    public mutating func update(done: Int, values: KeyValuePairs<String, Double> = [:]) {
        update(done: done, values: values.map { (name: $0.key, value: $0.value) })
    }

    /// Reports that `done` units are complete, with named values in the order given.
    public mutating func update(done: Int, values: [(name: String, value: Double)]) {
        let now = clock()
        let snapshot = ProgressSnapshot(label: label, done: done, total: total, values: values, unit: unit,
                                        counted: done - initial, elapsed: now.timeIntervalSince(start))
        if sink.isTerminal {
            sink.showStatus(snapshot.terminalLine(barWidth: barWidth))
            return
        }
        let due = lastWritten.map { now.timeIntervalSince($0) >= interval } ?? true
        if due || snapshot.finished {
            write(snapshot, at: now)
        } else {
            pending = (snapshot, now)
        }
    }

    /// Ends the report: on a terminal the last line stays and the cursor moves below it;
    /// elsewhere an update held back by the interval is written now, so the last one always
    /// appears.
    public mutating func finish() {
        if sink.isTerminal {
            sink.endStatus()
        } else if let (snapshot, time) = pending {
            write(snapshot, at: time)
        }
    }

    /// Writes one periodic line. Text lines carry the numbers in the message alone; JSON lines
    /// add them as metadata for whatever reads them.
    private mutating func write(_ snapshot: ProgressSnapshot, at time: Date) {
        var fields = metadata
        if format == .jsonLines {
            fields.merge(snapshot.metadata) { _, new in new }
        }
        let entry = LogEntry(time: time, level: .info, label: label, message: snapshot.plainMessage, metadata: fields)
        sink.writeLine(entry.line(format))
        lastWritten = time
        pending = nil
    }
}
