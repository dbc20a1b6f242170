import Distributed
import Foundation
import Membranes

/// One training iteration shared by the ranks of a group.
///
/// Every rank computes a contiguous share of the iteration's trajectory units (each with its
/// Latent Anchoring samples) and adds their gradients into one fused buffer: all membrane
/// gradients, then the three loss parts and a stop flag. ONE `MPI_Allreduce` sums the buffers,
/// after which every rank holds the same gradient and takes the same optimizer step, so the
/// membranes of a group never diverge. The sum runs in double precision: a sum of a few float32
/// partials is exact in a double (unless their magnitudes lie ~2^29 apart), so the order in which
/// the all-reduce algorithm adds the ranks' buffers does not change a bit of the result. The stop flag rides along: if any rank was asked to stop
/// (a signal, or a cancel on the leader), every rank learns it in the same iteration.
public enum GroupStep {
    /// Extra scalars after the gradient: erase, anchoring, total loss, stop flag.
    static let extras = 4

    /// This rank's part of the fused buffer for the current iteration. `afterUnit` runs after
    /// each unit (heartbeats).
    static func localBuffer(_ trainer: MembraneTrainer, units: Range<Int>, stop: Bool, afterUnit: (Int) -> Void = { _ in }) -> [Float] {
        let n = trainer.gradientLength
        var buffer = [Float](repeating: 0, count: n + extras)
        var parts = LossParts()
        for unit in units {
            parts += trainer.accumulate(units: unit..<(unit + 1), into: &buffer)
            afterUnit(unit)
        }
        buffer[n] = parts.erase
        buffer[n + 1] = parts.anchoring
        buffer[n + 2] = parts.total
        buffer[n + 3] = stop ? 1 : 0
        return buffer
    }

    /// Applies a summed fused buffer: the optimizer step. Returns the loss parts and whether any
    /// rank asked to stop.
    static func apply(_ buffer: [Float], to trainer: inout MembraneTrainer) -> (loss: LossParts, stop: Bool) {
        let n = trainer.gradientLength
        trainer.step(gradient: Array(buffer[0..<n]))
        return (LossParts(erase: buffer[n], anchoring: buffer[n + 1], total: buffer[n + 2]), buffer[n + 3] > 0)
    }

    /// One iteration on `group` (every rank of the group calls it with the same trainer state).
    public static func run(_ trainer: inout MembraneTrainer, group: Communicator, stop: Bool,
                           afterUnit: (Int) -> Void = { _ in }) throws -> (loss: LossParts, stop: Bool) {
        let units = Scheduler.units(batchSize: trainer.config.batchSize, rank: group.rank, size: group.size)
        var buffer = localBuffer(trainer, units: units, stop: stop, afterUnit: afterUnit)
        if group.size > 1 { buffer = try sum(buffer, over: group) }
        return apply(buffer, to: &trainer)
    }

    /// The element-wise sum of every rank's `buffer` in ONE all-reduce, added in double precision
    /// and rounded once to float.
    static func sum(_ buffer: [Float], over group: Communicator) throws -> [Float] {
        try group.allreduceSum(buffer.map(Double.init)).map(Float.init)
    }

    /// The same iteration in one process, reproducing a group of `groupSize` ranks: each
    /// virtual rank sums its units into its own float buffer, then the buffers are added in
    /// double precision and rounded once, as the group's all-reduce does: bit-identical to the
    /// MPI run at the same group size.
    @discardableResult
    public static func simulate(_ trainer: inout MembraneTrainer, groupSize: Int) -> LossParts {
        var total: [Double] = []
        for r in 0..<max(1, groupSize) {
            let units = Scheduler.units(batchSize: trainer.config.batchSize, rank: r, size: max(1, groupSize))
            let part = localBuffer(trainer, units: units, stop: false)
            if total.isEmpty {
                total = part.map(Double.init)
            } else {
                for i in total.indices { total[i] += Double(part[i]) }
            }
        }
        return apply(total.map(Float.init), to: &trainer).loss
    }
}
