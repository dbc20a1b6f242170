import StableDiffusion
import TensorEngine

/// Applies any number of membranes inside the UNet, each with its own multiplier per batch row
/// (Facilitated Transport gives every prompt its own). Terms of several membranes add up.
public struct MembraneAdapter: LayerAdapter {
    /// The membranes and, for each, one multiplier per batch row.
    public var entries: [(membrane: Membrane, multipliers: [Float])]

    public init(_ entries: [(membrane: Membrane, multipliers: [Float])]) { self.entries = entries }

    /// Every membrane at the same multiplier for every row (plain LoRA behaviour).
    public init(membranes: [Membrane], multiplier: Float, rows: Int) {
        entries = membranes.map { ($0, Array(repeating: multiplier, count: rows)) }
    }

    /// The same membranes with the multipliers of rows `rows` only.
    public func rows(_ rows: Range<Int>) -> LayerAdapter {
        MembraneAdapter(entries.map { ($0.membrane, Array($0.multipliers[rows])) })
    }

    public func delta(path: String, input: Tensor, layer: AdaptedLayer) -> Tensor? {
        var total: Tensor?
        for (membrane, multipliers) in entries {
            guard let l = membrane.layers[path] else { continue }
            precondition(multipliers.count == input.shape[0], "\(multipliers.count) multipliers for batch \(input.shape[0])")
            let scaled = multipliers.map { $0 * membrane.scale }
            if scaled.allSatisfy({ $0 == 0 }) { continue }
            var term = l.term(input)
            if scaled.allSatisfy({ $0 == scaled[0] }) {
                if scaled[0] != 1 { term = term * scaled[0] }
            } else {
                var rowShape = [Int](repeating: 1, count: term.rank)
                rowShape[0] = scaled.count
                term = term * Tensor(shape: rowShape, values: scaled)
            }
            total = total.map { $0 + term } ?? term
        }
        return total
    }
}
