import Dispatch
import Foundation

/// The number of cores kernels split work over (all online processors).
public let coreCount: Int = max(1, ProcessInfo.processInfo.activeProcessorCount)

/// Runs `body` over `0..<count` split into at most `coreCount` contiguous ranges.
///
/// Work smaller than `grain` items per range runs inline on the calling thread, so small tensors
/// pay no dispatch cost. Ranges never overlap, so a body that writes only inside its own range is
/// free of data races. No heap allocation happens per call.
@inlinable
public func parallelFor(_ count: Int, grain: Int = 4096, _ body: (Range<Int>) -> Void) {
    if count <= 0 { return }
    let chunks = min(coreCount, max(1, count / max(1, grain)))
    if chunks == 1 {
        body(0..<count)
        return
    }
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
