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
    public convenience init(membranes: [Membrane], multiplier: Float) {
        self.init(membranes.map { (membrane: $0, multiplier: multiplier) })
    }

    /// Each membrane at its own multiplier for every row (`membrane merge` bakes these into a
    /// checkpoint). Gradients never flow through the result.
    public init(_ entries: [(membrane: Membrane, multiplier: Float)]) {
        self.entries = entries.map { ($0.membrane.replacingParameters($0.membrane.parameters), $0.multiplier) }
    }

    public func delta(path: String, input: Tensor, layer: AdaptedLayer) -> Tensor? { nil }

    public func weight(path: String, original: Tensor) -> Tensor? {
        lock.lock()
        let known = merged[path]
        lock.unlock()
        if let known { return known }
        let weight = mergedWeight(original, path: path)
        lock.lock()
        merged[path] = weight
        lock.unlock()
        return weight
    }

    /// `original + sum(multiplier * scale * up down)` in one pass over the weight: for each
    /// output row i, `w[i, :] += sum_r (up[i, r] * down[r, :]) * multiplier * scale` (a conv's
    /// down is [r, in, k, k], so its rows are in * k * k long, as the weight's are).
    func mergedWeight(_ original: Tensor, path: String) -> Tensor {
        let terms = entries.compactMap { entry -> (layer: MembraneLayer, factor: Float)? in
            guard let l = entry.membrane.layers[path], entry.multiplier != 0 else { return nil }
            return (l, entry.multiplier * entry.membrane.scale)
        }
        if terms.isEmpty { return original }
        let w = original.detached.copy()
        let rows = original.shape[0], width = original.count / rows
        let out = w.pointer
        for (l, factor) in terms {
            let rank = l.rank, up = l.up.detached, down = l.down.detached
            precondition(up.count == rows * rank && down.count == rank * width, "membrane layer \(path) does not fit its weight")
            let u = up.pointer, d = down.pointer
            for i in 0..<rows {
                let row = out + i * width
                for r in 0..<rank {
                    // (up * down) * factor, rounded as the product of the factors was before.
                    let ur = u[i * rank + r], dr = d + r * width
                    for j in 0..<width { row[j] += (ur * dr[j]) * factor }
                }
            }
        }
        return w
    }
}
