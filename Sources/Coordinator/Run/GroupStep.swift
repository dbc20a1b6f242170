import Distributed
import Foundation
import Membranes

/// One training iteration shared by the ranks of a group.
///
/// Every rank computes a contiguous share of the iteration's trajectory units (each with its
/// Latent Anchoring samples) and adds their gradients into one fused buffer: all membrane
/// gradients, then the three loss parts and the two request counts (cancel, stop). ONE
/// `MPI_Allreduce` sums the buffers, after which every rank holds the same gradient and takes the
/// same optimizer step, so the membranes of a group never diverge. The sum runs in double
/// precision: a sum of a few float32 partials is exact in a double (unless their magnitudes lie
/// ~2^29 apart), so the order in which the all-reduce algorithm adds the ranks' buffers does not
/// change a bit of the result. The requests ride along: if any rank was asked to stop (a signal,
/// or a cancel on the leader), every rank learns it in the same iteration.
public enum GroupStep {
    /// This rank's fused buffer for the current iteration. `afterUnit` runs after each unit
    /// (heartbeats).
    static func localBuffer(_ trainer: MembraneTrainer, units: Range<Int>, requests: GroupRequests,
                            afterUnit: (Int) -> Void = { _ in }) -> [Double] {
        var gradient = ParameterVector(zeros: trainer.gradientLength)
        var parts = LossParts()
        for unit in units {
            parts += trainer.accumulate(units: unit..<(unit + 1), into: &gradient)
            afterUnit(unit)
        }
        let flags: [Float] = [requests.cancel ? 1 : 0, requests.stop ? 1 : 0]
        return (gradient.values + parts.scalars + flags).map(Double.init)
    }

    /// Applies a summed fused buffer: the optimizer step. Returns the loss parts and the union of
    /// every rank's requests. Throws ``NonFiniteTrainingError`` when the summed loss or gradient
    /// is not finite: every rank holds the same sum, so every rank of the group stops alike.
    static func apply(_ buffer: [Double], to trainer: inout MembraneTrainer) throws -> (loss: LossParts, requests: GroupRequests) {
        let sum = buffer.map(Float.init)
        let n = trainer.gradientLength
        let loss = LossParts(scalars: Array(sum[n..<(n + 3)])) ?? LossParts()
        try trainer.step(gradient: ParameterVector(values: Array(sum[0..<n])), loss: loss)
        return (loss, GroupRequests(cancel: sum[n + 3] > 0, stop: sum[n + 4] > 0))
    }

    /// One iteration on `group` (every rank of the group calls it with the same trainer state
    /// and its own `requests`).
    public static func run(_ trainer: inout MembraneTrainer, group: Communicator, requests: GroupRequests,
                           afterUnit: (Int) -> Void = { _ in }) throws -> (loss: LossParts, requests: GroupRequests) {
        let units = GroupPlan.units(batchSize: trainer.config.batchSize, rank: group.rank, size: group.size)
        var buffer = localBuffer(trainer, units: units, requests: requests, afterUnit: afterUnit)
        if group.size > 1 { buffer = try group.allreduceSum(buffer) }
        return try apply(buffer, to: &trainer)
    }

    /// The same iteration in one process, reproducing a group of `groupSize` ranks: each
    /// virtual rank sums its units into its own float buffer, then the buffers are added in
    /// double precision and rounded once, as the group's all-reduce does: bit-identical to the
    /// MPI run at the same group size.
    @discardableResult
    public static func simulate(_ trainer: inout MembraneTrainer, groupSize: Int) throws -> LossParts {
        var total: [Double] = []
        for r in 0..<max(1, groupSize) {
            let units = GroupPlan.units(batchSize: trainer.config.batchSize, rank: r, size: max(1, groupSize))
            let part = localBuffer(trainer, units: units, requests: GroupRequests())
            total = total.isEmpty ? part : zip(total, part).map { $0 + $1 }
        }
        return try apply(total, to: &trainer).loss
    }
}
