import Foundation

/// One catalog run, as shown at the top of the report and used to date its history points.
public struct ReportRun: Codable, Sendable, Equatable {
    /// When the run ended, ISO 8601 in UTC, e.g. `2026-12-01T06:00:00Z` (see ``isoDate(_:)``).
    /// History points are ordered as they are appended; dates written by ``isoDate(_:)`` also sort
    /// as text.
    public var date: String
    /// MPI ranks of the run (coordinator included).
    public var ranks: Int
    /// Membranes trained by the run (concepts skipped as unchanged are not counted).
    public var membranesTrained: Int
    /// Training iterations done by the run, over all membranes.
    public var iterations: Int
    /// Wall-clock duration of the run in seconds.
    public var seconds: Double
    /// Training iterations per second over the whole run.
    public var throughput: Double
    /// The run's exit code (0: everything trained and every gate held).
    public var exitCode: Int32
    /// The catalog file the run read, as given on the command line.
    public var catalog: String

    /// A run with every field given.
    public init(date: String, ranks: Int, membranesTrained: Int, iterations: Int, seconds: Double,
                throughput: Double, exitCode: Int32, catalog: String) {
        self.date = date
        self.ranks = ranks
        self.membranesTrained = membranesTrained
        self.iterations = iterations
        self.seconds = seconds
        self.throughput = throughput
        self.exitCode = exitCode
        self.catalog = catalog
    }

    /// `date` as ISO 8601 in UTC with whole seconds, e.g. `2026-12-01T06:00:00Z`.
    public static func isoDate(_ date: Date) -> String {
        let formatter = ISO8601DateFormatter()
        formatter.timeZone = TimeZone(identifier: "UTC")
        formatter.formatOptions = [.withInternetDateTime]
        return formatter.string(from: date)
    }

    /// Whether `text` is an ISO 8601 date and time in UTC (`Z`), with or without fractional seconds.
    public static func isUTCDate(_ text: String) -> Bool {
        guard text.hasSuffix("Z") else { return false }
        let formatter = ISO8601DateFormatter()
        formatter.formatOptions = [.withInternetDateTime]
        if formatter.date(from: text) != nil { return true }
        formatter.formatOptions = [.withInternetDateTime, .withFractionalSeconds]
        return formatter.date(from: text) != nil
    }
}
