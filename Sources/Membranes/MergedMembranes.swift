import Foundation
import StableDiffusion
import TensorEngine

/// Membranes merged into the frozen weights they sit on: each layer runs with
/// `W + sum(multiplier * scale * up * down)` in one GEMM instead of three, for passes that give
/// every row the same multiplier and need no gradient (the training trajectory; plain-LoRA
/// generation). A merged weight is built on its layer's first use and kept for the adapter's
/// lifetime, so build one adapter per membrane state and reuse it across sampling steps.
///
/// Results equal ``MembraneAdapter``'s up to float rounding (the rank-1 term is added to the
/// weight rather than to the output).
public final class MergedMembranes: LayerAdapter, @unchecked Sendable {
    let entries: [(membrane: Membrane, multiplier: Float)]
    private var merged: [String: Tensor] = [:]
    private let lock = NSLock()

    /// `membranes`, each at `multiplier` for every row. Gradients never flow through the result.
    public init(membranes: [Membrane], multiplier: Float) {
        entries = membranes.map { ($0.replacingParameters($0.parameters), multiplier) }
    }

    public func delta(path: String, input: Tensor, layer: AdaptedLayer) -> Tensor? { nil }

    public func weight(path: String, original: Tensor) -> Tensor? {
        lock.lock()
        let known = merged[path]
        lock.unlock()
        if let known { return known }
        let weight = withoutGradient { () -> Tensor in
            var w = original
            for (membrane, multiplier) in entries {
                guard let l = membrane.layers[path], multiplier != 0 else { continue }
                let up = l.up.reshaped([l.up.shape[0], l.rank])
                let down = l.down.reshaped([l.rank, l.down.count / l.rank])
                w = w + up.matmul(down).reshaped(original.shape) * (multiplier * membrane.scale)
            }
            return w
        }
        lock.lock()
        merged[path] = weight
        lock.unlock()
        return weight
    }
}
