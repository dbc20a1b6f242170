import Foundation

/// What a ``ShapesWorldEvaluation`` found, as `membrane evaluate` writes it to OUT/report.json:
/// the settings, the base model's reader accuracy, the metrics of every transport evaluated,
/// every picture's reading, the membranes' multipliers, and timing.
///
/// The synonym fields are present when a synonyms file was read (``ShapesWorldSynonyms``), the
/// multiplier fields when membranes were evaluated.
public struct EvaluationReport: Codable, Sendable {
    /// A membrane file and the targets it names.
    public struct MembraneInfo: Codable, Sendable {
        /// The file, as given.
        public var path: String
        /// The concepts the membrane was trained to erase.
        public var targets: [String]
    }

    /// The synonyms evaluated besides the 30 prompts.
    public struct SynonymSettings: Codable, Sendable {
        /// The synonyms file read.
        public var file: String
        /// Its table: colour or shape word to synonyms.
        public var words: [String: [String]]
        /// The synonym prompts, in the order of ``EvaluationReport/synonymPrompts``.
        public var prompts: [String]
    }

    /// How the pictures were made.
    public struct Settings: Codable, Sendable {
        /// The diffusers model folder.
        public var model: String
        /// The membranes applied (none: the base model alone).
        public var membranes: [MembraneInfo]
        /// The erased concepts the metrics are about (colour or shape words).
        public var targets: [String]
        /// The transports evaluated, as given (e.g. "facilitated", "fixed:1.0").
        public var transports: [String]
        /// Pictures per prompt; picture j of every prompt starts from the noise of firstSeed + j.
        public var seeds: Int
        public var firstSeed: UInt64
        /// Sampling steps.
        public var steps: Int
        /// Classifier-free guidance scale.
        public var cfg: Float
        /// The sampler's name ("ddim").
        public var sampler: String
        /// The evaluation prompts ("a red circle", ...).
        public var prompts: [String]
        /// The synonyms file and its prompts; absent without one.
        public var synonyms: SynonymSettings?
    }

    /// The metrics of one transport, against the base model's pictures.
    public struct Run: Codable, Sendable {
        /// The transport's name, as given.
        public var transport: String
        /// Seconds spent generating this transport's pictures.
        public var seconds: Double
        /// How often each target is still seen in pictures of prompts naming it.
        public var targets: [MembraneEvaluation.TargetRate]
        /// What the membranes did to the prompts that name no target.
        public var others: MembraneEvaluation.Others
        /// Reader accuracy over every picture with the membranes (targets included).
        public var all: MembraneEvaluation.Accuracy
        /// How often each target is still seen in pictures of prompts writing it with a synonym
        /// (targets without synonyms are left out); absent without synonyms.
        public var synonymTargets: [MembraneEvaluation.TargetRate]?
        /// What the membranes did to the synonym prompts asking for no target; absent without synonyms.
        public var otherSynonyms: MembraneEvaluation.Others?
        /// The membranes' multipliers on target, target-synonym and other prompts.
        public var multiplierSummary: MembraneEvaluation.Multipliers?
    }

    /// What was read in every picture of one prompt, seed by seed.
    public struct PromptReadings: Codable, Sendable {
        /// The prompt's text.
        public var prompt: String
        /// Readings ("red circle", "none square", ...) under "base" and under each transport.
        public var readings: [String: [String]]
        /// PSNR (dB, capped) of each picture against the base model's, under each transport.
        public var psnrDB: [String: [Double]]
    }

    /// Wall-clock seconds.
    public struct Timing: Codable, Sendable {
        /// Loading the model and the membranes.
        public var loadSeconds: Double
        /// Generating the base model's pictures.
        public var baseSeconds: Double
        /// Reading every picture.
        public var readingSeconds: Double
        /// The whole evaluation, loading included.
        public var totalSeconds: Double
    }

    /// How the pictures were made.
    public var settings: Settings
    /// Reader accuracy over every picture of the base model (no membranes).
    public var base: MembraneEvaluation.Accuracy
    /// One entry per transport, in the order given.
    public var runs: [Run]
    /// Every prompt's readings, in the order of ``ShapesWorld/prompts``.
    public var prompts: [PromptReadings]
    /// Reader accuracy over every picture of the synonym prompts by the base model, each read
    /// against the concepts its synonyms stand for; absent without synonyms.
    public var synonymBase: MembraneEvaluation.Accuracy?
    /// Every synonym prompt's readings, in the order of ``SynonymSettings/prompts``; absent
    /// without synonyms.
    public var synonymPrompts: [PromptReadings]?
    /// Transport name, then prompt (the 30 and the synonym prompts), then each membrane's
    /// multiplier on that prompt, in the order of ``Settings/membranes``; absent without membranes.
    public var multipliers: [String: [String: [Float]]]?
    /// Wall-clock seconds.
    public var timing: Timing

    /// The report as pretty-printed JSON with sorted keys.
    public func json() throws -> Data {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
        return try encoder.encode(self)
    }
}
