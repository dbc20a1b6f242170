import StableDiffusion
import TensorEngine

/// Text anchoring: a closed-form penalty that keeps a membrane's terms on the layers that read
/// the prompt (the cross-attention key and value projections) silent on the anchor prompts.
///
/// A rank-1 term on such a layer adds `s u (d . c)` to the key or value of every token state `c`
/// of the prompt (`s` the membrane's scale, `u` its `up`, `d` its `down`). Over the token states
/// of the anchor prompts, with second-moment matrix `G = mean c c^T`, the mean squared change
/// is `s^2 |u|^2 d^T G d`. It is zero exactly when the term leaves those prompts' keys and values
/// as they were; a membrane on cross-attention only then leaves their pictures as the base model
/// draws them, also loaded as a plain LoRA. Its gradient needs no UNet pass, so every anchor
/// prompt, and the unconditional prompt every guided picture uses, counts in every iteration.
public struct TextAnchoring: Sendable {
    /// Weight of the penalty in the loss.
    public let strength: Float
    /// Width of a token state.
    let dimension: Int
    /// `G`, row-major [dimension, dimension].
    let moments: [Double]

    /// The penalty over the token states `states` ([N, T, D]: every token of N prompts).
    public init(states: Tensor, strength: Float) {
        let d = states.shape.last ?? 0
        let tokens = d == 0 ? 0 : states.count / d
        var g = [Double](repeating: 0, count: d * d)
        let p = states.pointer
        for t in 0..<tokens {
            let row = t * d
            for i in 0..<d {
                let ci = Double(p[row + i])
                if ci == 0 { continue }
                for j in 0..<d { g[i * d + j] += ci * Double(p[row + j]) }
            }
        }
        let inverse = tokens > 0 ? 1 / Double(tokens) : 0
        moments = g.map { $0 * inverse }
        dimension = d
        self.strength = strength
    }

    /// Whether the layer at `path` reads the prompt's token states (a cross-attention key or
    /// value projection).
    public static func readsText(path: String) -> Bool {
        path.hasSuffix(".attn2.to_k") || path.hasSuffix(".attn2.to_v")
    }

    /// The weighted penalty of `membrane`; adds its gradient to `gradient` (laid out as
    /// ``Membrane/parameters``).
    @discardableResult
    public func addGradient(of membrane: Membrane, to gradient: inout ParameterVector) -> Float {
        guard strength > 0 else { return 0 }
        let s2 = Double(membrane.scale * membrane.scale)
        let w = Double(strength)
        var penalty = 0.0
        var offset = 0
        for path in membrane.layers.keys.sorted() {
            guard let layer = membrane.layers[path] else { continue }
            let downCount = layer.down.count, upCount = layer.up.count
            defer { offset += downCount + upCount }
            guard TextAnchoring.readsText(path: path), layer.rank == 1, downCount == dimension else { continue }
            let down = layer.down.scalars.map(Double.init), up = layer.up.scalars.map(Double.init)
            var gd = [Double](repeating: 0, count: dimension)
            for i in 0..<dimension {
                var sum = 0.0
                for j in 0..<dimension { sum += moments[i * dimension + j] * down[j] }
                gd[i] = sum
            }
            var quadratic = 0.0
            for i in 0..<dimension { quadratic += down[i] * gd[i] }
            let upNorm2 = up.reduce(0) { $0 + $1 * $1 }
            penalty += w * s2 * upNorm2 * quadratic
            for i in 0..<dimension { gradient.values[offset + i] += Float(2 * w * s2 * upNorm2 * gd[i]) }
            for i in 0..<upCount { gradient.values[offset + downCount + i] += Float(2 * w * s2 * quadratic * up[i]) }
        }
        return Float(penalty)
    }
}
