import Evaluation
import Foundation
import LibraryReport

/// The library report (DIR/report/index.html) written at the end of every run.
extension Coordinator {
    /// Appends this run to the report's history and rewrites the page: every catalog concept in
    /// the index, with its evaluation. A report that cannot be written is logged, never fatal.
    func writeReport(exitCode: Int32) {
        let concepts = entries.compactMap { index.entries[$0.job.name].map(conceptReport) }
        let trained = entries.filter { $0.state == .done || $0.state == .heldBack }
        let iterations = entries.reduce(0) { $0 + ($1.runStart == nil ? 0 : max(0, $1.iteration - $1.runStartIteration)) }
        let seconds = Date().timeIntervalSince(started)
        let run = ReportRun(date: ReportRun.isoDate(Date()), ranks: world.size, membranesTrained: trained.count, iterations: iterations,
                            seconds: seconds, throughput: seconds > 0 ? Double(iterations) / seconds : 0, exitCode: exitCode,
                            catalog: catalog.source.path)
        do {
            try LibraryReportWriter.update(run: run, concepts: concepts, library: library.directory)
            logger.info("report: \(library.relativePath(library.directory.appendingPathComponent(LibraryLayout.report + "/index.html")))")
        } catch {
            logger.error("the library report was not written: \(error)")
        }
    }

    /// What the report shows of one index entry.
    func conceptReport(_ entry: LibraryEntry) -> ConceptReport {
        guard let record = entry.evaluation else {
            return ConceptReport(name: entry.concept, targets: entry.targets, verdict: .notEvaluated, published: true, membraneFile: entry.file)
        }
        let verdict: GateVerdict = record.verdict.map { $0.passed ? .passed : .failed(reasons: $0.reasons) } ?? .notGated
        let checks = Dictionary((record.verdict?.checks ?? []).map { ($0.metric, $0) }, uniquingKeysWith: { first, _ in first })
        func gate(_ metric: String, _ kind: MetricGate.Kind) -> MetricGate? {
            checks[metric].map { MetricGate(kind: kind, limit: 100 * $0.limit, held: $0.held) }
        }
        let base = record.base, after = record.after
        var metrics = [ReportMetric(name: "target rate", before: 100 * base.targetRate, after: 100 * after.targetRate, unit: "%",
                                    gate: gate("target_rate", .maximum))]
        if let rate = after.paraphraseRate {
            metrics.append(ReportMetric(name: "paraphrase rate", before: base.paraphraseRate.map { 100 * $0 }, after: 100 * rate, unit: "%",
                                        gate: gate("paraphrase_rate", .maximum)))
        }
        metrics.append(ReportMetric(name: "preservation", before: 100 * base.preservation, after: 100 * after.preservation, unit: "%",
                                    gate: gate("preservation_drop", .maximumDrop)))
        if let score = after.meanClipScore { metrics.append(ReportMetric(name: "CLIP score", before: base.meanClipScore, after: score)) }
        if let psnr = after.othersPsnr { metrics.append(ReportMetric(name: "others PSNR", after: psnr, unit: "dB")) }
        if let ssim = after.othersSsim { metrics.append(ReportMetric(name: "others SSIM", after: ssim)) }
        return ConceptReport(name: entry.concept, targets: entry.targets, verdict: verdict, published: record.published,
                             membraneFile: entry.file, grid: record.grid, metrics: metrics,
                             multipliers: multipliers(record), reportJSON: record.report)
    }

    /// The multipliers of the evaluation prompts under the record's transport, in prompt order.
    func multipliers(_ record: EvaluationRecord) -> [ReportMultiplier] {
        let url = library.directory.appendingPathComponent(record.report)
        guard let data = try? Data(contentsOf: url),
              let report = try? JSONDecoder().decode(ClassEvaluationReport.self, from: data),
              let table = report.multipliers[record.transport] else { return [] }
        return report.settings.plan.prompts.compactMap { prompt in
            table[prompt.text].map { ReportMultiplier(prompt: prompt.text, transport: record.transport, values: $0) }
        }
    }
}
