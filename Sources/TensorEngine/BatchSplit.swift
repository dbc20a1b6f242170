import Kernels

/// Runs `body(block)` for every block in `0..<count`, the blocks spread over the cores (in order
/// on the calling thread when nested inside another parallel region or on one core). Gradient
/// recording on every thread is what it is on the calling one: task-local values do not follow
/// work onto other threads by themselves. `body` must write only what belongs to its block.
public func onCores(_ count: Int, _ body: (Int) -> Void) {
    let recording = GradientMode.isRecording
    parallelFor(count, grain: 1) { range in
        GradientMode.$isRecording.withValue(recording) {
            for block in range { body(block) }
        }
    }
}

/// Runs a pass without gradient over a batch of `count` rows as one block of rows per core, each
/// block on its own thread, and concatenates the blocks' outputs along axis 0.
///
/// Small models' layers are too small to split well inside each op (the cores would meet at every
/// layer); whole blocks of rows need no meeting until the end. `body(rows)` must compute the
/// output for `rows` only, from nothing but its inputs (every row's result is then the same
/// however the batch is split). Runs `body(0..<count)` in one call on the calling thread when the
/// graph is being recorded (the tape must be built in order), when already inside a parallel
/// region, or on one core.
public func splitBatchOverCores(_ count: Int, _ body: (Range<Int>) -> Tensor) -> Tensor {
    let parts = min(count, coreCount)
    guard parts > 1, !GradientMode.isRecording, !insideParallelRegion else { return body(0..<count) }
    var outputs = [Tensor?](repeating: nil, count: parts)
    outputs.withUnsafeMutableBufferPointer { blocks in
        onCores(parts) { p in blocks[p] = body(count * p / parts ..< count * (p + 1) / parts) }
    }
    return Tensor.concat(outputs.map { $0! }, axis: 0)
}
