import Dispatch
import Foundation
import Synchronization

/// The number of threads kernels split work over: all online processors, or `MEMBRANE_THREADS`
/// from the environment, or what ``setThreadBudget(_:)`` set last.
@inlinable public var coreCount: Int { threadBudget.load(ordering: .relaxed) }

@usableFromInline let threadBudget = Atomic<Int>(defaultThreadBudget())

/// The online processors, or `MEMBRANE_THREADS` when it holds a positive number.
func defaultThreadBudget() -> Int {
    if let text = ProcessInfo.processInfo.environment["MEMBRANE_THREADS"], let n = Int(text), n > 0 { return n }
    return max(1, ProcessInfo.processInfo.activeProcessorCount)
}

/// Sets how many threads kernels split work over from now on (at least 1). Processes that share
/// a machine (MPI ranks on one node) give each their share of the cores.
public func setThreadBudget(_ threads: Int) { threadBudget.store(max(1, threads), ordering: .relaxed) }

/// Parallel regions in flight. A `parallelFor` started while another one runs (typically from
/// inside its body: a GEMM or im2col inside a per-image loop that is already split over cores)
/// runs inline, so the cores are never oversubscribed and the outermost split wins.
@usableFromInline let parallelDepth = Atomic<Int>(0)

/// Whether a ``parallelFor(_:grain:_:)`` split over cores is running now (work started now
/// should then stay on its thread).
@inlinable public var insideParallelRegion: Bool { parallelDepth.load(ordering: .relaxed) > 0 }

/// Runs `body` over `0..<count` split into at most `coreCount` contiguous ranges.
///
/// Work smaller than `grain` items per range runs inline on the calling thread, so small tensors
/// pay no dispatch cost; so does a call made while another split is running (nested calls).
/// Ranges never overlap, so a body that writes only inside its own range is free of data races.
/// No heap allocation happens per call.
@inlinable
public func parallelFor(_ count: Int, grain: Int = 4096, _ body: (Range<Int>) -> Void) {
    if count <= 0 { return }
    let chunks = min(coreCount, max(1, count / max(1, grain)))
    if chunks == 1 || insideParallelRegion {
        body(0..<count)
        return
    }
    parallelDepth.add(1, ordering: .relaxed)
    defer { parallelDepth.subtract(1, ordering: .relaxed) }
    withoutActuallyEscaping(body) { escapable in
        let box = UncheckedSendable(escapable)
        DispatchQueue.concurrentPerform(iterations: chunks) { chunk in
            let start = count * chunk / chunks
            let end = count * (chunk + 1) / chunks
            box.value(start..<end)
        }
    }
}

/// Carries a value across a concurrency boundary the compiler cannot check. Used only where the
/// kernels guarantee disjoint writes (each parallel range touches its own output elements).
public struct UncheckedSendable<Value>: @unchecked Sendable {
    public let value: Value
    @inlinable public init(_ value: Value) { self.value = value }
}
