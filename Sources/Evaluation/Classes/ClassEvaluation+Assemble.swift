import Foundation
import Images
import StableDiffusion

extension ClassEvaluation {
    /// What a run found: the report, the pictures by file, and the before/after grid.
    public struct Outcome {
        public var report: ClassEvaluationReport
        /// Every picture by its file name relative to the output folder.
        public var pictures: [(file: String, image: Image)]
        /// One row per prompt: the base model's pictures, then each transport's.
        public var beforeAfter: Image

        /// The grid's file name in the output folder.
        public static let gridFile = "before_after.png"
        /// The report's file name in the output folder.
        public static let reportFile = "report.json"

        /// Writes report.json, before_after.png and pictures/ into `directory` (each file atomically).
        public func write(to directory: URL) throws {
            for (file, image) in pictures {
                let url = directory.appendingPathComponent(file)
                try FileManager.default.createDirectory(at: url.deletingLastPathComponent(), withIntermediateDirectories: true)
                try image.write(to: url.path)
            }
            try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
            try beforeAfter.write(to: directory.appendingPathComponent(Outcome.gridFile).path)
            try report.json().write(to: directory.appendingPathComponent(Outcome.reportFile), options: .atomic)
        }
    }

    /// The file of picture `seed` of prompt `prompt` in `group`, relative to the output folder.
    static func file(group: String, prompt: Int, seed: Int) -> String {
        let safe = String(group.map { $0.isLetter || $0.isNumber || $0 == "." || $0 == "-" ? $0 : "-" })
        return "pictures/\(safe)/p\(prompt)-s\(seed).png"
    }

    /// The report and files of every unit's results (any order; every prompt exactly once).
    public func assemble(_ units: [UnitResult]) throws -> Outcome {
        let byPrompt = Dictionary(units.map { ($0.prompt, $0) }, uniquingKeysWith: { first, _ in first })
        guard byPrompt.count == prompts.count, byPrompt.keys.allSatisfy({ prompts.indices.contains($0) }) else {
            throw ClassEvaluationError.missingUnits(expected: prompts.count, got: units.map(\.prompt).sorted())
        }
        let plan = options.plan
        let classes = plan.classes
        var records: [ClassEvaluationReport.Picture] = []
        var files: [(file: String, image: Image)] = []
        var gridGroups = groups.map { PictureGroup(name: $0, pictures: []) }
        for p in prompts.indices {
            guard let unit = byPrompt[p], unit.groups == groups else { throw ClassEvaluationError.missingUnits(expected: prompts.count, got: []) }
            let baseImages = try unit.pictures[0].map { try $0.image() }
            for (g, group) in groups.enumerated() {
                let images = try unit.pictures[g].map { try $0.image() }
                gridGroups[g].pictures += images
                for (j, image) in images.enumerated() {
                    let file = ClassEvaluation.file(group: group, prompt: p, seed: j)
                    files.append((file, image))
                    let similarity = unit.similarities[g][j]
                    var scores: [String: Double] = [:]
                    for (c, item) in classes.enumerated() { scores[item.name] = 100 * similarity[c] }
                    let best = similarity.indices.max { similarity[$0] < similarity[$1] || (similarity[$0] == similarity[$1] && $0 > $1) }
                    let predicted = best.flatMap { similarity[$0] > 0 ? classes[$0].name : nil }
                    let clip = unit.promptSimilarities.map { 2.5 * max($0[g][j], 0) }
                    let compare = g > 0
                    records.append(ClassEvaluationReport.Picture(
                        file: file, prompt: prompts[p].text, kind: prompts[p].kind, expected: prompts[p].expected, transport: group,
                        seed: plan.seed + UInt64(j), scores: scores, predicted: predicted, clipScore: clip,
                        psnrDB: compare ? MembraneEvaluation.psnr(image, baseImages[j]) : nil,
                        ssim: compare ? try SSIM.mean(image, baseImages[j]) : nil))
                }
            }
        }
        let base = ClassEvaluation.summary("base", records: records, before: nil)
        let runs = groups.dropFirst().map { ClassEvaluation.summary($0, records: records, before: base) }
        let settings = ClassEvaluationReport.Settings(
            model: options.modelName, reader: options.readerName.isEmpty ? (scorer?.name ?? "") : options.readerName,
            membranes: zip(options.membraneFiles, options.membranes).map { .init(path: $0.0, targets: $0.1.targets) },
            transports: Array(groups.dropFirst()), plan: plan, sampler: GenerationRequest(prompts: []).sampler.rawValue)
        let report = ClassEvaluationReport(settings: settings, classes: classes, base: base, runs: runs, pictures: records,
                                           multipliers: multipliers())
        let grid = try ShapesWorldEvaluation.Outcome.beforeAfterGrid(prompts: prompts.map(\.text), seeds: plan.imagesPerPrompt, groups: gridGroups)
        return Outcome(report: report, pictures: files, beforeAfter: grid)
    }

    /// The metrics of group `name` from every picture's record; `before` is the base summary.
    static func summary(_ name: String, records: [ClassEvaluationReport.Picture],
                        before: ClassEvaluationReport.Summary?) -> ClassEvaluationReport.Summary {
        let mine = records.filter { $0.transport == name }
        func share(_ kind: EvaluationPrompt.Kind, _ hit: (ClassEvaluationReport.Picture) -> Bool) -> Double? {
            let pictures = mine.filter { $0.kind == kind }
            guard !pictures.isEmpty else { return nil }
            return Double(pictures.filter(hit).count) / Double(pictures.count)
        }
        func mean(_ values: [Double]) -> Double? { values.isEmpty ? nil : values.reduce(0, +) / Double(values.count) }
        let target = share(.target) { $0.predicted == $0.expected } ?? 0
        let preservation = share(.other) { $0.predicted == $0.expected } ?? 0
        var clipScores: [String: Double]?
        if mine.allSatisfy({ $0.clipScore != nil }) && !mine.isEmpty {
            var table: [String: [Double]] = [:]
            for record in mine { table[record.prompt, default: []].append(record.clipScore ?? 0) }
            clipScores = table.compactMapValues(mean)
        }
        let others = mine.filter { $0.kind == .other }
        return ClassEvaluationReport.Summary(
            transport: name, targetRate: target, paraphraseRate: share(.paraphrase) { $0.predicted == $0.expected },
            preservation: preservation, preservationBefore: before?.preservation,
            preservationDrop: before.map { $0.preservation - preservation },
            clipScores: clipScores, meanClipScore: clipScores == nil ? nil : mean(mine.compactMap(\.clipScore)),
            othersPSNR: before == nil ? nil : mean(others.compactMap(\.psnrDB)),
            othersSSIM: before == nil ? nil : mean(others.compactMap(\.ssim)))
    }
}

/// Why an evaluation's results cannot be assembled.
public enum ClassEvaluationError: Error, Equatable, CustomStringConvertible {
    /// The units gathered do not cover every prompt exactly once.
    case missingUnits(expected: Int, got: [Int])
    /// Pictures were to be scored by an evaluation made without a reader.
    case noReader

    public var description: String {
        switch self {
        case .missingUnits(let expected, let got):
            return "evaluation results cover prompts \(got) instead of each of 0..<\(expected) once"
        case .noReader:
            return "this evaluation has no reader to score pictures with"
        }
    }
}
