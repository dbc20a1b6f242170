import Evaluation
import Foundation

/// What `index.json` keeps of a membrane's evaluation after training: the metrics under the
/// gate's transport and the base model's, the gate's verdict, and where the report is.
public struct EvaluationRecord: Codable, Equatable, Sendable {
    /// One summary's numbers (shares in 0...1; see ``ClassEvaluationReport/Summary``).
    public struct Metrics: Codable, Equatable, Sendable {
        public var targetRate: Double
        public var paraphraseRate: Double?
        public var preservation: Double
        public var preservationDrop: Double?
        public var meanClipScore: Double?
        public var othersPsnr: Double?
        public var othersSsim: Double?

        public init(_ summary: ClassEvaluationReport.Summary) {
            targetRate = summary.targetRate
            paraphraseRate = summary.paraphraseRate
            preservation = summary.preservation
            preservationDrop = summary.preservationDrop
            meanClipScore = summary.meanClipScore
            othersPsnr = summary.othersPSNR
            othersSsim = summary.othersSSIM
        }
    }

    /// ``ConceptEvaluation/hash`` of the evaluation that produced this record.
    public var hash: String
    /// The reader, e.g. "clip:/models/clip-vit-base-patch32".
    public var reader: String
    /// The transport measured (the gate's).
    public var transport: String
    public var base: Metrics
    public var after: Metrics
    /// The gate's verdict; absent without a gate.
    public var verdict: EvaluationGate.Verdict?
    /// Whether the membrane was published (false: it stays in CONCEPT/candidate/).
    public var published: Bool
    /// The evaluation's report.json and before/after grid, relative to the library folder.
    public var report: String
    public var grid: String
    /// Ranks that drew and scored the pictures, and the wall time (seconds).
    public var ranks: Int
    public var seconds: Double
}
