import ArgumentParser
import Evaluation
import Foundation
import Membranes
import Reporting

extension Evaluate {
    /// `membrane evaluate --eval FILE`: the evaluation file's prompts drawn with and without the
    /// membranes, every picture scored by the reader.
    func runPlan(_ file: URL) throws {
        let plan = try EvaluationPlan.load(file)
        let reader = try EvaluationReader(parsing: self.reader ?? "shapesworld")
        if reader == .shapesworld { try ShapesWorldScorer.check(plan.classes) }
        let model = try modelOptions.load()
        let scorer = try reader.scorer()
        var options = ClassEvaluation.Options(plan: plan)
        options.membranes = try membranes.map { try Membrane.read(from: URL(fileURLWithPath: $0), sites: model.unet.adapterSites) }
        options.membraneFiles = membranes
        options.transports = try transportNames().map { try ShapesWorldEvaluation.NamedTransport(parsing: $0) }
        options.modelName = model.directory.path
        let evaluation = ClassEvaluation(options: options, model: model, scorer: scorer)
        var bar = ProgressReporter(label: "evaluate", total: evaluation.prompts.count, unit: "prompt")
        var done = 0
        let results = try evaluation.results(units: Array(evaluation.prompts.indices)) { _ in
            done += 1
            bar.update(done: done)
        }
        bar.finish()
        let outcome = try evaluation.assemble(results)
        try outcome.write(to: URL(fileURLWithPath: out))
        print(outcome.report.humanSummary())
        print("wrote report.json, before_after.png and pictures/ to \(out)")
    }
}
