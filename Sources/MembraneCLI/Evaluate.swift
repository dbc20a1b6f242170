import ArgumentParser
import Evaluation
import Foundation
import Images
import Membranes
import StableDiffusion
import TensorEngine

/// `membrane evaluate`: how well membranes erase their ShapesWorld targets and spare the rest.
struct Evaluate: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Measure membranes on the 30 ShapesWorld prompts with the ShapesWorld reader.",
        discussion: """
            Generates every "a <colour> <shape>" prompt x seeds with the base model and with the \
            membranes (same seeds, same noise), reads every picture, and writes OUT/report.json \
            and OUT/before_after.png. Without --membrane, measures the base model alone.
            """)

    @Option(help: "diffusers model folder; default: the embedded shapesworld-a.")
    var model: String?
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
    @Option(help: "facilitated, facilitated-reference, or fixed:W (plain LoRA at weight W).")
    var transport: String = "facilitated"
    @Option(help: "Several transports, comma-separated (e.g. fixed:1.0,facilitated), sharing the base pictures; replaces --transport.")
    var transports: String?
    @Option(help: "Erased concepts, comma-separated colour or shape words (default: the membranes' targets).")
    var targets: String?
    @Option(help: "Pictures denoised together in one UNet batch.")
    var batchSize: Int = 8
    @Option(help: "Output folder.")
    var out: String

    func validate() throws {
        guard seeds >= 1 else { throw ValidationError("--seeds must be at least 1") }
        guard steps >= 1 else { throw ValidationError("--steps must be at least 1") }
        guard batchSize >= 1 else { throw ValidationError("--batch-size must be at least 1") }
        for name in transportNames() { _ = try Transport(flag: name) }
        if targets != nil && membranes.isEmpty { throw ValidationError("--targets needs at least one --membrane") }
        if let targets { _ = try parseTargets(targets) }
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

    /// The concepts the metrics are about: --targets, or the colour and shape words of the
    /// membranes' targets.
    func concepts(_ loaded: [Membrane]) throws -> [ShapesWorldConcept] {
        if let targets { return try parseTargets(targets) }
        var result: [ShapesWorldConcept] = []
        for membrane in loaded {
            for target in membrane.targets {
                for concept in ShapesWorldConcept.concepts(in: target) where !result.contains(concept) {
                    result.append(concept)
                }
            }
        }
        if !loaded.isEmpty && result.isEmpty {
            let named = loaded.flatMap(\.targets).joined(separator: ", ")
            throw CLIError("the membranes' targets (\(named)) name no ShapesWorld colour or shape; give --targets")
        }
        return result
    }

    func run() throws {
        let start = Date()
        let modelURL = try ModelLocation.resolve(model)
        let m = try StableDiffusionModel(directory: modelURL)
        let loaded = try membranes.map { try Membrane.read(from: URL(fileURLWithPath: $0), sites: m.unet.adapterSites) }
        let targetConcepts = try concepts(loaded)
        let names = loaded.isEmpty ? [] : transportNames()
        let loadSeconds = Date().timeIntervalSince(start)

        let prompts = ShapesWorld.prompts
        var request = GenerationRequest(prompts: prompts.map(\.text))
        request.steps = steps
        request.guidance = cfg
        request.seed = seed
        request.imagesPerPrompt = seeds
        request.batchSize = batchSize

        var clock = Date()
        let basePictures = try pictures(m, request, adapter: nil, label: "base")
        let baseSeconds = Date().timeIntervalSince(clock)
        clock = Date()
        let baseReadings = read(basePictures, prompts: prompts)
        var readingSeconds = Date().timeIntervalSince(clock)

        var runs: [EvaluationReport.Run] = []
        var groups: [(name: String, pictures: [Image])] = [("base", basePictures)]
        var readingsByGroup: [String: [PictureReading]] = ["base": baseReadings]
        var psnrByGroup: [String: [Double]] = [:]
        for name in names {
            let transport = try Transport(flag: name)
            clock = Date()
            let after = try pictures(m, request, adapter: transport.provider(membranes: loaded, model: m), label: name)
            let runSeconds = Date().timeIntervalSince(clock)
            clock = Date()
            let afterReadings = read(after, prompts: prompts)
            readingSeconds += Date().timeIntervalSince(clock)
            var psnr: [Double] = []
            for index in after.indices { psnr.append(MembraneEvaluation.psnr(after[index], basePictures[index])) }
            let summary = MembraneEvaluation.summarise(targets: targetConcepts, before: baseReadings,
                                                       after: afterReadings, psnr: psnr)
            runs.append(EvaluationReport.Run(transport: name, seconds: runSeconds, targets: summary.targets,
                                             others: summary.others, all: summary.all))
            groups.append((name, after))
            readingsByGroup[name] = afterReadings
            psnrByGroup[name] = psnr
        }

        let settings = EvaluationReport.Settings(
            model: modelURL.path,
            membranes: zip(membranes, loaded).map { EvaluationReport.MembraneInfo(path: $0.0, targets: $0.1.targets) },
            targets: targetConcepts.map(\.name), transports: names, seeds: seeds, firstSeed: seed,
            steps: steps, cfg: cfg, sampler: request.sampler.rawValue, prompts: prompts.map(\.text))
        let perPrompt = promptReadings(prompts, readings: readingsByGroup, psnr: psnrByGroup)
        let timing = EvaluationReport.Timing(loadSeconds: loadSeconds, baseSeconds: baseSeconds,
                                             readingSeconds: readingSeconds, totalSeconds: 0)
        var report = EvaluationReport(settings: settings, base: MembraneEvaluation.accuracy(baseReadings),
                                      runs: runs, prompts: perPrompt, timing: timing)

        let directory = URL(fileURLWithPath: out)
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        let picture = try beforeAfterGrid(prompts: prompts.map(\.text), seeds: seeds, groups: groups)
        try picture.write(to: directory.appendingPathComponent("before_after.png").path)
        report.timing.totalSeconds = Date().timeIntervalSince(start)
        try report.json().write(to: directory.appendingPathComponent("report.json"), options: .atomic)
        print(report.humanSummary())
        print("wrote report.json and before_after.png to \(out)")
    }

    /// Generates the request's pictures as 8-bit images, showing progress on standard error.
    func pictures(_ m: StableDiffusionModel, _ request: GenerationRequest, adapter: AdapterProvider?,
                  label: String) throws -> [Image] {
        let start = Date()
        let tensors = try m.generate(request, adapter: adapter) { step, total in
            let rate = Double(step) / max(Date().timeIntervalSince(start), 1e-9)
            let line = "\r\(label): step \(step)/\(total)  " + String(format: "%.2f steps/s", rate)
            FileHandle.standardError.write(line.data(using: .utf8)!)
        }
        printError("")
        var images: [Image] = []
        for t in tensors {
            images.append(try Image(chw: t.scalars, channels: t.shape[0], height: t.shape[1], width: t.shape[2]))
        }
        return images
    }

    /// Reads prompt-major pictures (`seeds` per prompt).
    func read(_ images: [Image], prompts: [ShapesWorld.Prompt]) -> [PictureReading] {
        var readings: [PictureReading] = []
        for (index, image) in images.enumerated() {
            let prompt = prompts[index / seeds]
            readings.append(PictureReading(prompt: prompt, reading: ShapesWorldReader.read(image)))
        }
        return readings
    }

    /// Every prompt's readings and PSNRs, grouped by "base" and transport name.
    func promptReadings(_ prompts: [ShapesWorld.Prompt], readings: [String: [PictureReading]],
                        psnr: [String: [Double]]) -> [EvaluationReport.PromptReadings] {
        var result: [EvaluationReport.PromptReadings] = []
        for (p, prompt) in prompts.enumerated() {
            let range = (p * seeds)..<((p + 1) * seeds)
            var entry = EvaluationReport.PromptReadings(prompt: prompt.text, readings: [:], psnrDB: [:])
            for (name, list) in readings { entry.readings[name] = list[range].map(\.summary) }
            for (name, list) in psnr { entry.psnrDB[name] = Array(list[range]) }
            result.append(entry)
        }
        return result
    }
}
