import Foundation

/// The bar a newly trained membrane must clear before it is published: limits on its
/// evaluation under one transport. Every limit is a share in 0...1 (0.05 = 5 percentage points).
///
/// ```yaml
/// gate:
///   transport: facilitated        # the transport the limits apply to (default facilitated)
///   max_target_rate: 0.1          # concept prompts' pictures still predicted as the concept
///   max_paraphrase_rate: 0.2      # paraphrase prompts' pictures predicted as the concept
///   max_preservation_drop: 0.05   # others predicted as themselves: base share - share after
/// ```
public struct EvaluationGate: Codable, Sendable, Equatable {
    /// The transport the limits apply to, as `--transport` spells it.
    public var transport: String
    public var maxTargetRate: Double?
    public var maxParaphraseRate: Double?
    public var maxPreservationDrop: Double?

    /// Keys of a gate mapping.
    public static let keys: Set<String> = ["transport", "max_target_rate", "max_paraphrase_rate", "max_preservation_drop"]

    public init(transport: String = "facilitated", maxTargetRate: Double? = nil, maxParaphraseRate: Double? = nil,
                maxPreservationDrop: Double? = nil) {
        self.transport = transport
        self.maxTargetRate = maxTargetRate
        self.maxParaphraseRate = maxParaphraseRate
        self.maxPreservationDrop = maxPreservationDrop
    }

    /// A gate from a YAML mapping; errors name `file` and the key under `key`.
    public init(value: Any, file: String, key: String) throws(EvaluationPlanError) {
        func fail(_ name: String, _ problem: String) -> EvaluationPlanError {
            EvaluationPlanError(file: file, key: name.isEmpty ? key : "\(key).\(name)", problem: problem)
        }
        guard let values = value as? [String: Any] else { throw fail("", "expected a mapping of \(EvaluationGate.keys.sorted().joined(separator: ", "))") }
        for name in values.keys.sorted() where !EvaluationGate.keys.contains(name) {
            throw fail(name, "unknown key (known: \(EvaluationGate.keys.sorted().joined(separator: ", ")))")
        }
        func share(_ name: String) throws(EvaluationPlanError) -> Double? {
            guard let raw = values[name] else { return nil }
            guard let number = (raw as? Double) ?? (raw as? Int).map(Double.init), number.isFinite, (0...1).contains(number) else {
                throw fail(name, "must be a share in 0...1 (0.05 = 5 percentage points)")
            }
            return number
        }
        var transport = "facilitated"
        if let raw = values["transport"] {
            guard let text = raw as? String, !text.isEmpty else { throw fail("transport", "expected a transport name, e.g. facilitated or fixed:1.0") }
            transport = text
        }
        self.init(transport: transport, maxTargetRate: try share("max_target_rate"), maxParaphraseRate: try share("max_paraphrase_rate"),
                  maxPreservationDrop: try share("max_preservation_drop"))
        guard maxTargetRate != nil || maxParaphraseRate != nil || maxPreservationDrop != nil else {
            throw fail("", "sets no limit (give at least one of max_target_rate, max_paraphrase_rate, max_preservation_drop)")
        }
    }

    /// One limit checked against a measured value.
    public struct Check: Codable, Sendable, Equatable {
        /// The metric's report name: target_rate, paraphrase_rate or preservation_drop.
        public var metric: String
        public var value: Double?
        public var limit: Double
        public var held: Bool
    }

    /// The gate's checks on a report, and whether the membrane passes.
    public struct Verdict: Codable, Sendable, Equatable {
        public var passed: Bool
        public var checks: [Check]
        /// Why it failed, one line per limit missed (empty when passed).
        public var reasons: [String]
    }

    /// Checks every limit on `report`'s summary for ``transport``. A missing metric (no such
    /// transport, or no paraphrases) fails its limit.
    public func verdict(_ report: ClassEvaluationReport) -> Verdict {
        let summary = report.summary(transport)
        let limits: [(String, Double?, Double?)] = [
            ("target_rate", maxTargetRate, summary?.targetRate),
            ("paraphrase_rate", maxParaphraseRate, summary?.paraphraseRate),
            ("preservation_drop", maxPreservationDrop, summary?.preservationDrop),
        ]
        var checks: [Check] = []
        var reasons: [String] = []
        for (metric, limit, value) in limits {
            guard let limit else { continue }
            let held = value.map { $0 <= limit } ?? false
            checks.append(Check(metric: metric, value: value, limit: limit, held: held))
            if !held {
                let measured = value.map { String(format: "%.3f", $0) } ?? "not measured"
                reasons.append("\(metric) under \(transport): \(measured) > \(limit)")
            }
        }
        return Verdict(passed: reasons.isEmpty, checks: checks, reasons: reasons)
    }
}
