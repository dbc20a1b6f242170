import StableDiffusion
import TensorEngine

/// Applies membranes the way the SPM reference code does at inference (`weighted_spm` in its
/// `infer_spm.py` and `evaluate_task.py`): every tensor of each membrane, `down` and `up` alike,
/// is multiplied by that membrane's gamma, and the membranes are summed weight by weight into
/// one network applied at multiplier 1. At a layer with input `x`:
///
///     delta(x) = scale * (sum_i g_i up_i)((sum_j g_j down_j)(x))
///
/// so a single membrane acts with strength gamma squared, and several membranes interact
/// through their cross terms `g_i g_j up_i(down_j(x))`. ``MembraneAdapter`` instead adds one
/// separate term per membrane, each scaled by its multiplier once.
///
/// Each batch row has its own gammas (Facilitated Transport gives every prompt its own); rows
/// that share them are run together through one summed network.
///
/// `scale`: the reference builds its network once with `alpha` and `rank` from the first
/// membrane's metadata and fixes `scale = alpha / rank` there. Its state dicts also hold `alpha`
/// tensors, which are weighted and summed with the rest and loaded into the layers, but the
/// layers' forward pass reads the fixed `scale`, never the loaded `alpha`; so the summed alpha
/// has no effect. Here too every term is scaled by the first membrane's ``Membrane/scale``.
public struct ReferenceMembraneAdapter: LayerAdapter {
    /// The membranes, summed in this order (the first one's scale applies to all).
    public var membranes: [Membrane]
    /// For each membrane, its gamma on each batch row.
    public var gammas: [[Float]]

    /// `membranes` with `gammas[i][row]` the gamma of membrane `i` on batch row `row`. Every
    /// membrane needs one gamma per row, and membranes sharing a layer must have the same rank
    /// there (their weights are summed).
    public init(membranes: [Membrane], gammas: [[Float]]) {
        precondition(membranes.count == gammas.count, "\(gammas.count) gamma lists for \(membranes.count) membranes")
        precondition(Set(gammas.map(\.count)).count <= 1, "gamma lists of different lengths")
        self.membranes = membranes
        self.gammas = gammas
    }

    /// The same membranes with the gammas of rows `rows` only.
    public func rows(_ rows: Range<Int>) -> LayerAdapter {
        ReferenceMembraneAdapter(membranes: membranes, gammas: gammas.map { Array($0[rows]) })
    }

    public func delta(path: String, input: Tensor, layer: AdaptedLayer) -> Tensor? {
        let present = membranes.indices.compactMap { i in membranes[i].layers[path].map { (layer: $0, gammas: gammas[i]) } }
        guard let first = present.first, let scale = membranes.first?.scale else { return nil }
        let batch = input.shape[0]
        for entry in present {
            precondition(entry.gammas.count == batch, "\(entry.gammas.count) gammas for batch \(batch)")
            precondition(entry.layer.down.shape == first.layer.down.shape && entry.layer.up.shape == first.layer.up.shape,
                         "membranes of different shapes at \(path) cannot be summed")
        }
        if present.allSatisfy({ $0.gammas.allSatisfy { $0 == 0 } }) { return nil }
        let runs = Self.runs(batch) { row in present.map { $0.gammas[row] } }
        let pieces = runs.map { run -> Tensor in
            let rows = run.count == batch ? input : input.slice(axis: 0, range: run)
            let weights = present.map { (layer: $0.layer, gamma: $0.gammas[run.lowerBound]) }
            var term = Self.summed(weights, site: first.layer.site).term(rows)
            if scale != 1 { term = term * scale }
            return term
        }
        return pieces.count == 1 ? pieces[0] : Tensor.concat(pieces, axis: 0)
    }

    /// The layers weighted and summed as the reference sums state dicts: in order,
    /// `sum_i g_i down_i` and `sum_i g_i up_i`.
    static func summed(_ weights: [(layer: MembraneLayer, gamma: Float)], site: AdapterSite) -> MembraneLayer {
        var down = weights[0].layer.down * weights[0].gamma, up = weights[0].layer.up * weights[0].gamma
        for (layer, gamma) in weights.dropFirst() {
            down = down + layer.down * gamma
            up = up + layer.up * gamma
        }
        return MembraneLayer(site: site, down: down, up: up)
    }

    /// Consecutive runs of rows in `0..<count` whose `key` is the same.
    static func runs(_ count: Int, key: (Int) -> [Float]) -> [Range<Int>] {
        guard count > 0 else { return [] }
        var runs: [Range<Int>] = []
        var start = 0
        for row in 1...count where row == count || key(row) != key(start) {
            runs.append(start..<row)
            start = row
        }
        return runs
    }
}
