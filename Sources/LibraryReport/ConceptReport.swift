/// Everything the report shows about one concept of a run.
///
/// Paths are relative to the library folder (e.g. `snoopy/grid.png`), never absolute and without
/// `..`; the report links them as `../PATH` from `report/index.html`.
public struct ConceptReport: Codable, Sendable, Equatable {
    /// The concept's library name (user input: shown escaped).
    public var name: String
    /// The words or phrases the membrane erases.
    public var targets: [String]
    /// What the quality gate said.
    public var verdict: GateVerdict
    /// `true` when the membrane went into the library; `false` when it was kept as a candidate.
    public var published: Bool
    /// The membrane file, relative to the library folder (e.g. `snoopy/snoopy.safetensors` or
    /// `snoopy/candidate/snoopy.safetensors`).
    public var membraneFile: String
    /// The before/after picture grid (a PNG), relative to the library folder; `nil` when there is none.
    public var grid: String?
    /// The evaluation's figures, in the order shown.
    public var metrics: [ReportMetric]
    /// The transport multipliers of the evaluation prompts.
    public var multipliers: [ReportMultiplier]
    /// The evaluation's `report.json`, relative to the library folder; `nil` when not evaluated.
    public var reportJSON: String?

    /// A concept with every field given.
    public init(name: String, targets: [String], verdict: GateVerdict, published: Bool, membraneFile: String,
                grid: String? = nil, metrics: [ReportMetric] = [], multipliers: [ReportMultiplier] = [],
                reportJSON: String? = nil) {
        self.name = name
        self.targets = targets
        self.verdict = verdict
        self.published = published
        self.membraneFile = membraneFile
        self.grid = grid
        self.metrics = metrics
        self.multipliers = multipliers
        self.reportJSON = reportJSON
    }
}

/// One figure of an evaluation, before (base model) and after (with the membrane).
public struct ReportMetric: Codable, Sendable, Equatable {
    /// What is measured, e.g. `target rate` (also its key in the history).
    public var name: String
    /// The value on the base model; `nil` when there is none (e.g. PSNR against the base itself).
    public var before: Double?
    /// The value with the membrane.
    public var after: Double
    /// Shown after the values: e.g. `%`, `dB`, or empty.
    public var unit: String
    /// The gate limit on this figure, if the gate has one.
    public var gate: MetricGate?

    /// A figure with every field given.
    public init(name: String, before: Double? = nil, after: Double, unit: String = "", gate: MetricGate? = nil) {
        self.name = name
        self.before = before
        self.after = after
        self.unit = unit
        self.gate = gate
    }
}

/// A gate limit on one figure and whether the membrane kept it.
public struct MetricGate: Codable, Sendable, Equatable {
    /// How the limit applies.
    public enum Kind: String, Codable, Sendable {
        /// `after` must be at most `limit` (e.g. `max_target_rate`).
        case maximum
        /// `before - after` must be at most `limit` (e.g. `max_preservation_drop`).
        case maximumDrop = "maximum_drop"
    }

    /// How the limit applies.
    public var kind: Kind
    /// The limit, in the figure's unit.
    public var limit: Double
    /// Whether the membrane kept the limit.
    public var held: Bool

    /// A limit with every field given.
    public init(kind: Kind, limit: Double, held: Bool) {
        self.kind = kind
        self.limit = limit
        self.held = held
    }
}

/// The Facilitated Transport multipliers one evaluation prompt got.
public struct ReportMultiplier: Codable, Sendable, Equatable {
    /// The evaluation prompt (user input: shown escaped).
    public var prompt: String
    /// The transport used, e.g. `facilitated`.
    public var transport: String
    /// One multiplier per membrane applied, in membrane order.
    public var values: [Float]

    /// A prompt's multipliers with every field given.
    public init(prompt: String, transport: String, values: [Float]) {
        self.prompt = prompt
        self.transport = transport
        self.values = values
    }
}
