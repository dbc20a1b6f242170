import ArgumentParser
import Evaluation
import Foundation
import Membranes
import Reporting

/// `membrane evaluate`: how well membranes erase their ShapesWorld targets and spare the rest.
struct Evaluate: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Measure membranes: on the 30 ShapesWorld prompts, or on an evaluation file's prompts with a CLIP model.",
        discussion: """
            Generates every "a <colour> <shape>" prompt x seeds with the base model and with the \
            membranes (same seeds, same noise), reads every picture, and writes OUT/report.json \
            and OUT/before_after.png. Without --membrane, measures the base model alone. With a \
            synonyms file (--synonyms, or \(ShapesWorldSynonyms.fileName) in the model folder), its synonym prompts \
            are drawn and measured too: {"<colour or shape>": ["<synonym>", ...], ...}, one word \
            per synonym, no ShapesWorld word, no word twice.

            With --eval FILE (an evaluation file: concept, paraphrases, others, templates, \
            class_template, images_per_prompt, seed, steps, cfg) and --reader clip:DIR (a \
            transformers CLIPModel folder), any SD v1.x model is measured: every picture is \
            scored against every class by CLIP; OUT gets report.json, before_after.png and \
            pictures/. --seeds, --seed, --steps and --cfg then come from the file.
            """)

    @OptionGroup var modelOptions: ModelOptions
    @Option(name: .customLong("membrane"), help: "A membrane file (repeat to compose several).")
    var membranes: [String] = []
    @Option(help: "Pictures per prompt; picture j of every prompt uses seed --seed + j.")
    var seeds: Int = 4
    @Option(help: "Seed of each prompt's first picture.")
    var seed: UInt64 = 0
    @Option(help: "Sampling steps (DDIM).")
    var steps: Int = 30
    @Option(help: "Classifier-free guidance scale.")
    var cfg: Float = 5
    @Option(help: "facilitated (on meaning), facilitated-tokens (keyword match), facilitated-reference (the reference code's rule), or fixed:W (plain LoRA at weight W).")
    var transport: String = "facilitated"
    @Option(help: "Several transports, comma-separated (e.g. fixed:1.0,facilitated), sharing the base pictures; replaces --transport.")
    var transports: String?
    @Option(help: "Erased concepts, comma-separated colour or shape words (default: the membranes' targets).")
    var targets: String?
    @Option(help: "Pictures denoised together in one UNet batch.")
    var batchSize: Int = 8
    @Option(help: "Synonyms file (JSON: colour or shape word -> synonyms); default: \(ShapesWorldSynonyms.fileName) in the model folder, if any.")
    var synonyms: String?
    @Option(help: "Evaluation file (YAML): the concept, paraphrases, others and how pictures are made.")
    var eval: String?
    @Option(help: "Picture reader: shapesworld (default without --eval) or clip:DIR (a transformers CLIPModel folder).")
    var reader: String?
    @Option(help: "Output folder.")
    var out: String
    @OptionGroup var logging: LoggingOptions

    func validate() throws {
        guard seeds >= 1 else { throw ValidationError("--seeds must be at least 1") }
        guard steps >= 1 else { throw ValidationError("--steps must be at least 1") }
        guard batchSize >= 1 else { throw ValidationError("--batch-size must be at least 1") }
        for name in transportNames() { _ = try Transport(flag: name) }
        if targets != nil && membranes.isEmpty { throw ValidationError("--targets needs at least one --membrane") }
        if let targets { _ = try parseTargets(targets) }
        if let reader, reader != "shapesworld", eval == nil {
            throw ValidationError("--reader \(reader) needs --eval FILE (the prompts and classes to score)")
        }
        if eval != nil && (targets != nil || synonyms != nil) {
            throw ValidationError("--targets and --synonyms belong to the ShapesWorld evaluation; with --eval the file names the classes")
        }
    }

    /// The transports to evaluate, as given.
    func transportNames() -> [String] {
        guard let transports else { return [transport] }
        return transports.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty }
    }

    /// Concepts from a comma-separated list of colour and shape words.
    func parseTargets(_ text: String) throws -> [ShapesWorldConcept] {
        var result: [ShapesWorldConcept] = []
        for word in text.split(separator: ",") {
            let trimmed = word.trimmingCharacters(in: .whitespaces)
            guard let concept = ShapesWorldConcept(word: trimmed) else {
                throw ValidationError("--targets: '\(trimmed)' is not a ShapesWorld colour or shape")
            }
            if !result.contains(concept) { result.append(concept) }
        }
        guard !result.isEmpty else { throw ValidationError("--targets is empty") }
        return result
    }

    func run() throws {
        logging.bootstrap()
        if let eval {
            try runPlan(URL(fileURLWithPath: eval))
            return
        }
        let modelSource = try modelOptions.source()
        var options = ShapesWorldEvaluation.Options(model: modelSource.url)
        options.modelSource = modelSource
        options.membranes = membranes.map { URL(fileURLWithPath: $0) }
        options.seeds = seeds
        options.seed = seed
        options.steps = steps
        options.cfg = cfg
        options.transports = try transportNames().map { ShapesWorldEvaluation.NamedTransport(name: $0, transport: try Transport(flag: $0)) }
        options.targets = try targets.map(parseTargets)
        options.batchSize = batchSize
        options.synonyms = synonyms.map { URL(fileURLWithPath: $0) }
        let evaluation: ShapesWorldEvaluation
        do {
            evaluation = try ShapesWorldEvaluation(options: options)
        } catch ShapesWorldEvaluationError.noConceptInTargets(let named) {
            throw CLIError("the membranes' targets (\(named.joined(separator: ", "))) name no ShapesWorld colour or shape; give --targets")
        }
        var bar: (group: String, reporter: ProgressReporter)?
        let outcome = try evaluation.run { progress in
            if bar?.group != progress.group {
                bar?.reporter.finish()
                bar = (progress.group, ProgressReporter(label: progress.group, total: progress.total, unit: "step"))
            }
            if progress.step > 0 { bar?.reporter.update(done: progress.step) }
        }
        bar?.reporter.finish()
        try outcome.write(to: URL(fileURLWithPath: out))
        print(outcome.report.humanSummary())
        print("wrote report.json and before_after.png to \(out)")
    }
}
