import Foundation

/// How a catalog run's workers are grouped and jobs handed out.
///
/// World rank 0 is the coordinator; ranks 1..<N are the W = N - 1 workers. At start the workers
/// are split once (`MPI_Comm_split`) into groups of `groupSize` consecutive ranks; ranks left
/// over when W is not a multiple are spread over the groups, the first ones first. Each
/// group trains one job at a time, splitting every iteration's trajectory units across its
/// ranks; a free group takes the next pending job in catalog order.
///
/// Group size: `--group-size G` fixes it. The default (`auto`) is W / pending jobs rounded
/// down, at least 1: many small jobs run side by side on single-rank groups, one big job takes
/// every worker. It is also capped by the largest batch size of the pending jobs, since a
/// trajectory unit is not split further (a larger group would leave ranks idle).
///
/// The gradient summation order depends on the group size, so a membrane is bit-identical to a
/// single-process run at the same group size (``GroupStep/simulate(_:groupSize:)``) and within
/// 1e-5 across group sizes. Resuming a job at another group size is allowed; it then matches
/// within that tolerance instead of bit for bit.
public struct GroupPlan: Equatable, Sendable {
    /// Fixed group size, or `nil` for the automatic policy.
    public var groupSize: Int?

    /// A plan with a fixed group size, or `nil` for the automatic policy.
    public init(groupSize: Int? = nil) {
        self.groupSize = groupSize
    }

    /// The group size for `workers` workers and the pending jobs' batch sizes.
    public func groupSize(workers: Int, batchSizes: [Int]) -> Int {
        guard workers > 0 else { return 1 }
        if let groupSize { return max(1, min(groupSize, workers)) }
        guard !batchSizes.isEmpty else { return 1 }
        let even = max(1, workers / batchSizes.count)
        return max(1, min(even, batchSizes.max() ?? 1))
    }

    /// The groups as lists of world ranks (workers are ranks 1...workers).
    public static func groups(workers: Int, groupSize: Int) -> [[Int]] {
        guard workers > 0 else { return [] }
        let g = max(1, min(groupSize, workers))
        let count = workers / g, spare = workers - count * g
        var groups: [[Int]] = []
        var next = 1
        for k in 0..<count {
            let size = g + spare / count + (k < spare % count ? 1 : 0)
            groups.append(Array(next..<(next + size)))
            next += size
        }
        return groups
    }

    /// The units (trajectories) of a batch that rank `rank` of a group of `size` computes:
    /// a contiguous share, earlier ranks taking the extra ones.
    public static func units(batchSize: Int, rank: Int, size: Int) -> Range<Int> {
        let base = batchSize / size, extra = batchSize % size
        let start = rank * base + min(rank, extra)
        return start..<(start + base + (rank < extra ? 1 : 0))
    }
}
