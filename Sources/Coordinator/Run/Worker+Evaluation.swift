import Evaluation
import Foundation
import Membranes

extension Worker {
    /// Evaluates `job`'s finished membrane with every rank of the group: each rank draws and
    /// scores its share of the prompts (``ClassEvaluation/units(count:rank:size:)``), the
    /// results are gathered on the group's leader, which sends them to the coordinator.
    ///
    /// Ranks beat after every denoising step; a rank that finishes first waits in the gather
    /// for at most one prompt's pictures of another rank.
    func evaluate(_ job: Job, evaluation: ConceptEvaluation, trainer: MembraneTrainer) throws {
        let start = Date()
        // The same transport calibration as the membrane file the coordinator writes.
        let info = MembraneMetadata.describe(config: job.config, model: model, iterations: trainer.iteration, loss: LossParts())
        let membrane = try trainer.checkpoint(loss: LossParts(), seconds: 0).membrane(model: model, config: job.config, info: info)
        var options = ClassEvaluation.Options(plan: evaluation.plan)
        options.membranes = [membrane]
        options.membraneFiles = [job.name]
        options.transports = [try ShapesWorldEvaluation.NamedTransport(parsing: evaluation.transport)]
        let scorer = try evaluation.reader.scorer()
        let run = ClassEvaluation(options: options, model: model, scorer: scorer)
        let units = ClassEvaluation.units(count: run.prompts.count, rank: group.rank, size: group.size)
        var results: [ClassEvaluation.UnitResult] = []
        for (done, unit) in units.enumerated() {
            results.append(try run.result(unit: unit) { step in
                self.heartbeat(job: job.name, iteration: trainer.iteration, unit: step)
            })
            logger.info("\(job.name): evaluated prompt \(done + 1)/\(units.count) of this rank (\(run.prompts.count) in all)")
        }
        let gathered = try group.gather(try JSONEncoder().encode(results), root: 0)
        guard isLeader, let gathered else { return }
        var all: [ClassEvaluation.UnitResult] = []
        for data in gathered { all += try JSONDecoder().decode([ClassEvaluation.UnitResult].self, from: data) }
        let payload = try JSONEncoder().encode(all.sorted { $0.prompt < $1.prompt })
        try send(.evaluated(job: job.name, hash: job.hash, seconds: Date().timeIntervalSince(start), ranks: group.size, results: payload))
    }
}
