import Foundation
import Membranes

extension Worker {
    /// The job's trainer. With `text_directions`, every rank of a group trains within its
    /// leader's directions: they come from the text encoder, whose last bits may differ between
    /// CPUs of a mixed group, and ranks that restricted the membrane differently would drift
    /// apart although they apply the same all-reduced gradients.
    func makeTrainer(_ job: Job, resume: TrainingCheckpoint?) throws -> MembraneTrainer {
        let own = try MembraneTrainer(model: model, config: job.config, resume: resume)
        guard group.size > 1, let mine = own.objective.textDirections else { return own }
        let data = try group.broadcast(isLeader ? JSONEncoder().encode(mine) : Data(), root: 0)
        let leader: TextDirections
        do {
            leader = try JSONDecoder().decode(TextDirections.self, from: data)
        } catch {
            throw RunError("rank \(world.rank): the text directions of job '\(job.name)' from the group leader do not decode: \(error)")
        }
        guard leader.width == mine.width, leader.basis.count == mine.basis.count else {
            throw RunError("rank \(world.rank): the group leader's text directions of job '\(job.name)' have another shape than this rank's")
        }
        return leader == mine ? own : try MembraneTrainer(model: model, config: job.config, resume: resume, textDirections: leader)
    }
}
