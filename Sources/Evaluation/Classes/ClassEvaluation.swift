import Foundation
import Images
import Membranes
import StableDiffusion

/// An evaluation of membranes on any SD v1.x model against an ``EvaluationPlan``: every plan
/// prompt is drawn ``EvaluationPlan/imagesPerPrompt`` times by the base model and, from the same
/// noise, with the membranes under each transport; a ``PictureScorer`` scores every picture
/// against every class and the highest score is the picture's predicted class.
///
/// The work is cut into one unit per prompt (its pictures in every group: base, then each
/// transport, each drawn in one fixed batch), so any set of ranks can share the units and the
/// assembled report is the same as one process's (``results(units:progress:)`` then
/// ``assemble(_:)``).
public struct ClassEvaluation {
    /// What to evaluate.
    public struct Options {
        public var plan: EvaluationPlan
        /// Membranes applied together; none measures the base model alone.
        public var membranes: [Membrane] = []
        /// Where each membrane came from, for the report (same order as ``membranes``).
        public var membraneFiles: [String] = []
        /// The transports evaluated against the same base pictures (unused without membranes).
        public var transports: [ShapesWorldEvaluation.NamedTransport] = [.init(.facilitated(.meaning))]
        /// The model's name in the report.
        public var modelName: String = ""
        /// The reader's name in the report; empty: the scorer's ``PictureScorer/name``.
        public var readerName: String = ""

        public init(plan: EvaluationPlan) { self.plan = plan }
    }

    /// The pictures and scores of one prompt in every group.
    public struct UnitResult: Codable, Sendable, Equatable {
        /// The prompt's index in ``EvaluationPlan/prompts``.
        public var prompt: Int
        /// Group name ("base" or a transport's name), in group order.
        public var groups: [String]
        /// For each group, its pictures (seed order).
        public var pictures: [[PictureData]]
        /// For each group and picture, its similarity to each class.
        public var similarities: [[[Double]]]
        /// For each group and picture, its similarity to its prompt (absent when the reader has none).
        public var promptSimilarities: [[Double]]?
    }

    public let options: Options
    public let model: StableDiffusionModel
    /// The reader; `nil` for a process that only assembles other ranks' results.
    public let scorer: (any PictureScorer)?
    /// The plan's prompts, in report order.
    public let prompts: [EvaluationPrompt]
    /// "base", then each transport's name (no transport without membranes).
    public let groups: [String]

    /// An evaluation of `options` on `model`, read by `scorer`.
    public init(options: Options, model: StableDiffusionModel, scorer: (any PictureScorer)?) {
        self.options = options
        self.model = model
        self.scorer = scorer
        prompts = options.plan.prompts
        groups = ["base"] + (options.membranes.isEmpty ? [] : options.transports.map(\.name))
    }

    /// The units rank `rank` of `size` computes: every `size`-th prompt from `rank` on.
    public static func units(count: Int, rank: Int, size: Int) -> [Int] {
        Array(stride(from: rank, to: count, by: max(1, size)))
    }

    /// Draws and scores the given units; `progress` hears of each unit done.
    public func results(units: [Int], progress: (Int) -> Void = { _ in }) throws -> [UnitResult] {
        var results: [UnitResult] = []
        for unit in units {
            results.append(try result(unit: unit))
            progress(unit)
        }
        return results
    }

    /// The pictures and scores of prompt `unit` in every group; `progress` hears of every
    /// denoising step.
    public func result(unit: Int, progress: @escaping (Int) -> Void = { _ in }) throws -> UnitResult {
        let prompt = prompts[unit]
        let plan = options.plan
        var request = GenerationRequest(prompts: [prompt.text])
        request.steps = plan.steps
        request.guidance = plan.cfg
        request.seed = plan.seed
        request.imagesPerPrompt = plan.imagesPerPrompt
        request.batchSize = plan.imagesPerPrompt
        var pictures: [[PictureData]] = []
        var similarities: [[[Double]]] = []
        var promptSimilarities: [[Double]] = []
        var hasPromptScores = true
        guard let scorer else { throw ClassEvaluationError.noReader }
        for group in groups {
            let transport = options.transports.first { $0.name == group }?.transport
            let adapter = transport?.provider(membranes: options.membranes, model: model)
            let images = try model.generate(request, adapter: adapter) { step, _ in progress(step) }.map {
                try Image(chw: $0.scalars, channels: $0.shape[0], height: $0.shape[1], width: $0.shape[2])
            }
            pictures.append(images.map(PictureData.init))
            let found = try scorer.similarities(images, classes: plan.classes, prompt: prompt.text)
            similarities.append(found.classes)
            if let own = found.prompt {
                promptSimilarities.append(own)
            } else {
                hasPromptScores = false
            }
        }
        return UnitResult(prompt: unit, groups: groups, pictures: pictures, similarities: similarities,
                          promptSimilarities: hasPromptScores ? promptSimilarities : nil)
    }

    /// Every membrane's multiplier on every prompt, by transport name then prompt text.
    public func multipliers() -> [String: [String: [Float]]] {
        var table: [String: [String: [Float]]] = [:]
        guard !options.membranes.isEmpty else { return table }
        for named in options.transports {
            let values = named.transport.multipliers(prompts: prompts.map(\.text), membranes: options.membranes, model: model)
            var byPrompt: [String: [Float]] = [:]
            for (p, prompt) in prompts.enumerated() { byPrompt[prompt.text] = values.map { $0[p] } }
            table[named.name] = byPrompt
        }
        return table
    }
}

/// An 8-bit picture as plain values, so unit results travel between ranks as JSON.
public struct PictureData: Codable, Sendable, Equatable {
    public var width: Int
    public var height: Int
    public var channels: Int
    public var pixels: Data

    public init(_ image: Image) {
        width = image.width
        height = image.height
        channels = image.channels
        pixels = Data(image.pixels)
    }

    /// The picture (an error when the sizes do not match the bytes).
    public func image() throws -> Image {
        try Image(width: width, height: height, channels: channels, pixels: [UInt8](pixels))
    }
}
