import Foundation
import Images
import Membranes
import StableDiffusion

/// How well membranes erase their ShapesWorld targets and spare the rest: every
/// "a <colour> <shape>" prompt, and every synonym prompt of the model's ``ShapesWorldSynonyms``,
/// is generated with several seeds by the base model and, from the same noise, with the
/// membranes under each transport; the ShapesWorld reader reads every picture and
/// ``MembraneEvaluation`` compares the readings.
///
/// Creating an evaluation loads the model and the membranes; ``run(progress:)`` generates and
/// reads the pictures.
public struct ShapesWorldEvaluation {
    /// What to evaluate and how the pictures are made.
    public struct Options: Sendable {
        /// The diffusers model folder.
        public var model: URL
        /// Membrane files applied together; none measures the base model alone.
        public var membranes: [URL] = []
        /// Pictures per prompt; picture j of every prompt uses seed ``seed`` + j.
        public var seeds: Int = 4
        /// Seed of each prompt's first picture.
        public var seed: UInt64 = 0
        /// Sampling steps (DDIM).
        public var steps: Int = 30
        /// Classifier-free guidance scale.
        public var cfg: Float = 5
        /// The transports evaluated, all against the same base pictures (unused without membranes).
        public var transports: [NamedTransport] = [NamedTransport(.facilitated(.meaning))]
        /// The erased concepts the metrics are about; `nil` takes the colour and shape words of
        /// the membranes' targets.
        public var targets: [ShapesWorldConcept]?
        /// Pictures denoised together in one UNet batch.
        public var batchSize: Int = 8
        /// The synonyms file; `nil` takes the model folder's ``ShapesWorldSynonyms/fileName``
        /// when there is one, and evaluates no synonym prompt otherwise.
        public var synonyms: URL?

        /// The default options for the model in `model`.
        /// The model with what describes it when it is a single file (nil: `model` as it is).
        public var modelSource: ModelSource?
        public init(model: URL) { self.model = model }
    }

    /// A transport and the name the report gives it.
    public struct NamedTransport: Sendable, Equatable {
        /// The name in the report, e.g. "fixed:1.0".
        public var name: String
        /// How the membranes are applied.
        public var transport: Transport

        /// `transport` under `name`.
        public init(name: String, transport: Transport) {
            self.name = name
            self.transport = transport
        }

        /// `transport` under its own name (``Transport/description``).
        public init(_ transport: Transport) { self.init(name: transport.description, transport: transport) }

        /// The transport named by `text`, reported under `text` as given.
        public init(parsing text: String) throws(TransportError) {
            self.init(name: text, transport: try Transport(parsing: text))
        }
    }

    /// Where generation stands: step `step` of `total` of the pictures of `group` ("base" or a
    /// transport's name), `seconds` after that group began.
    public struct Progress: Sendable {
        /// "base" or the transport's name.
        public var group: String
        /// Denoising steps done so far in this group (1-based).
        public var step: Int
        /// Denoising steps of the whole group (every batch).
        public var total: Int
        /// Seconds since the group began.
        public var seconds: Double
    }

    /// The options, as given.
    public let options: Options
    /// The model the pictures are generated with.
    public let model: StableDiffusionModel
    /// The membranes of ``Options/membranes``, loaded.
    public let membranes: [Membrane]
    /// The concepts the metrics are about: ``Options/targets`` or those the membranes name.
    public let targets: [ShapesWorldConcept]
    /// The synonyms file read, `nil` when there is none.
    public let synonymsFile: URL?
    /// The synonyms of ``synonymsFile``.
    public let synonyms: ShapesWorldSynonyms?
    let started: Date
    let loadSeconds: Double

    /// Reads the synonyms file, loads the model and the membranes, and settles the targets.
    public init(options: Options) throws {
        started = Date()
        for (name, value) in [("seeds", options.seeds), ("steps", options.steps), ("batch size", options.batchSize)] where value < 1 {
            throw ShapesWorldEvaluationError.notPositive(option: name, value: value)
        }
        if options.targets != nil && options.membranes.isEmpty { throw ShapesWorldEvaluationError.targetsWithoutMembranes }
        self.options = options
        synonymsFile = options.synonyms ?? ShapesWorldSynonyms.file(inModel: options.model)
        synonyms = try synonymsFile.map { file throws(ShapesWorldSynonymsError) in try ShapesWorldSynonyms(contentsOf: file) }
        model = try StableDiffusionModel(source: try options.modelSource ?? ModelSource(url: options.model))
        let sites = model.unet.adapterSites
        membranes = try options.membranes.map { try Membrane.read(from: $0, sites: sites) }
        targets = try options.targets ?? ShapesWorldEvaluation.concepts(namedBy: membranes)
        loadSeconds = Date().timeIntervalSince(started)
    }

    /// The colour and shape words of the membranes' targets, in order and without repeats.
    static func concepts(namedBy membranes: [Membrane]) throws(ShapesWorldEvaluationError) -> [ShapesWorldConcept] {
        var result: [ShapesWorldConcept] = []
        for target in membranes.flatMap(\.targets) {
            for concept in ShapesWorldConcept.concepts(in: target) where !result.contains(concept) {
                result.append(concept)
            }
        }
        if !membranes.isEmpty && result.isEmpty {
            throw .noConceptInTargets(membranes.flatMap(\.targets))
        }
        return result
    }

    /// Generates and reads every picture, base model first, then each transport; `progress`
    /// hears of every denoising step. Returns the report and the before/after picture.
    public func run(progress: (Progress) -> Void = { _ in }) throws -> Outcome {
        let prompts = ShapesWorld.prompts + (synonyms?.prompts ?? [])
        let transports = membranes.isEmpty ? [] : options.transports
        let request = self.request(prompts: prompts)

        var clock = Date()
        let basePictures = try pictures(request, adapter: nil, group: "base", progress: progress)
        let baseSeconds = Date().timeIntervalSince(clock)
        clock = Date()
        let baseReadings = read(basePictures, prompts: prompts)
        var readingSeconds = Date().timeIntervalSince(clock)

        var runs: [EvaluationReport.Run] = []
        var groups: [PictureGroup] = [PictureGroup(name: "base", pictures: basePictures)]
        var readingsByGroup: [String: [PictureReading]] = ["base": baseReadings]
        var psnrByGroup: [String: [Double]] = [:]
        var multipliers: [String: [String: [Float]]] = [:]
        for named in transports {
            clock = Date()
            let adapter = named.transport.provider(membranes: membranes, model: model)
            let after = try pictures(request, adapter: adapter, group: named.name, progress: progress)
            let runSeconds = Date().timeIntervalSince(clock)
            clock = Date()
            let afterReadings = read(after, prompts: prompts)
            readingSeconds += Date().timeIntervalSince(clock)
            let psnr = after.indices.map { MembraneEvaluation.psnr(after[$0], basePictures[$0]) }
            let table = named.transport.multipliers(prompts: prompts.map(\.text), membranes: membranes, model: model)
            runs.append(transportRun(named.name, seconds: runSeconds, before: baseReadings, after: afterReadings,
                                     psnr: psnr, multipliers: table, prompts: prompts))
            multipliers[named.name] = ShapesWorldEvaluation.byPrompt(table, prompts: prompts)
            groups.append(PictureGroup(name: named.name, pictures: after))
            readingsByGroup[named.name] = afterReadings
            psnrByGroup[named.name] = psnr
        }

        let plainPictures = ShapesWorld.prompts.count * options.seeds
        let settings = EvaluationReport.Settings(
            model: options.model.path,
            membranes: zip(options.membranes, membranes).map { EvaluationReport.MembraneInfo(path: $0.0.relativePath, targets: $0.1.targets) },
            targets: targets.map(\.name), transports: transports.map(\.name), seeds: options.seeds, firstSeed: options.seed,
            steps: options.steps, cfg: options.cfg, sampler: request.sampler.rawValue, prompts: ShapesWorld.prompts.map(\.text),
            synonyms: synonymSettings)
        let timing = EvaluationReport.Timing(loadSeconds: loadSeconds, baseSeconds: baseSeconds,
                                             readingSeconds: readingSeconds, totalSeconds: 0)
        let readings = promptReadings(prompts, readings: readingsByGroup, psnr: psnrByGroup)
        var report = EvaluationReport(settings: settings, base: MembraneEvaluation.accuracy(Array(baseReadings[..<plainPictures])),
                                      runs: runs, prompts: Array(readings[..<ShapesWorld.prompts.count]), timing: timing)
        if synonyms != nil {
            report.synonymBase = MembraneEvaluation.accuracy(Array(baseReadings[plainPictures...]))
            report.synonymPrompts = Array(readings[ShapesWorld.prompts.count...])
        }
        if !transports.isEmpty { report.multipliers = multipliers }
        let picture = try Outcome.beforeAfterGrid(prompts: prompts.map(\.text), seeds: options.seeds, groups: groups)
        report.timing.totalSeconds = Date().timeIntervalSince(started)
        return Outcome(report: report, beforeAfter: picture)
    }
}
