/// Every concept's figures over past runs, kept in `LIBRARY/report/history.json`.
///
/// Each concept keeps at most ``maximumRunsPerConcept`` points, oldest first; appending beyond
/// that drops the oldest. Concepts that leave the catalog keep their points (the report shows
/// only the concepts of the current run). The file is
/// `{"version": 1, "concepts": {NAME: [{"date", "metrics": {NAME: VALUE}, "verdict"}]}}`, with
/// non-finite values written as the strings `"inf"`, `"-inf"` and `"nan"`.
public struct ReportHistory: Codable, Sendable, Equatable {
    /// Points kept per concept: the last 100 runs.
    public static let maximumRunsPerConcept = 100
    /// The `version` this code reads and writes.
    public static let formatVersion = 1

    /// Each concept's points, oldest first, by concept name.
    public var concepts: [String: [HistoryPoint]]

    /// A history with the given points (none by default).
    public init(concepts: [String: [HistoryPoint]] = [:]) {
        self.concepts = concepts
    }

    /// The points of `concept`, oldest first (empty when it has none).
    public func points(for concept: String) -> [HistoryPoint] {
        concepts[concept] ?? []
    }

    /// This history with one point per concept of `run`: its date, every metric's `after` value and
    /// the verdict. A concept whose last point has the run's date gets that point replaced (writing
    /// the report of one run twice adds nothing); each concept keeps its last
    /// ``maximumRunsPerConcept`` points. When `concepts` names a concept twice the last one counts.
    public func appending(run: ReportRun, concepts reports: [ConceptReport]) -> ReportHistory {
        var result = self
        for report in reports {
            var metrics: [String: Double] = [:]
            for metric in report.metrics { metrics[metric.name] = metric.after }
            let point = HistoryPoint(date: run.date, metrics: metrics, verdict: report.verdict)
            var points = result.concepts[report.name] ?? []
            if points.last?.date == run.date { points.removeLast() }
            points.append(point)
            if points.count > Self.maximumRunsPerConcept {
                points.removeFirst(points.count - Self.maximumRunsPerConcept)
            }
            result.concepts[report.name] = points
        }
        return result
    }

    private enum CodingKeys: String, CodingKey { case version, concepts }

    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        let version = try container.decode(Int.self, forKey: .version)
        guard version == Self.formatVersion else {
            throw DecodingError.dataCorruptedError(
                forKey: .version, in: container,
                debugDescription: "history format version \(version) is not supported (expected \(Self.formatVersion))")
        }
        concepts = try container.decode([String: [HistoryPoint]].self, forKey: .concepts)
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(Self.formatVersion, forKey: .version)
        try container.encode(concepts, forKey: .concepts)
    }
}

/// One concept's figures in one run.
public struct HistoryPoint: Codable, Sendable, Equatable {
    /// The run's date (``ReportRun/date``).
    public var date: String
    /// Each metric's `after` value, by metric name.
    public var metrics: [String: Double]
    /// The gate's verdict in that run.
    public var verdict: GateVerdict

    /// A point with every field given.
    public init(date: String, metrics: [String: Double], verdict: GateVerdict) {
        self.date = date
        self.metrics = metrics
        self.verdict = verdict
    }
}
