import Dispatch
import TensorEngine

/// Runs one unit's membrane pass as blocks of rows spread over the cores, and sums the blocks'
/// gradients in block order.
///
/// The membrane rows (target + anchors) are cut into two blocks, each with its own copy of the
/// membrane's parameters, graph and backward pass on its own core. The split is fixed at two
/// blocks whatever the core count (on one core they run one after the other, block 0 first), so
/// the result does not depend on the machine.
///
/// Each block also runs the original model on the rows its loss needs. When block 1 has more
/// membrane rows, block 0 first runs the original model on that many of block 1's rows and hands
/// them over: a membrane row costs about three original rows, so both cores finish together.
struct RowBlockRunner {
    let objective: SPMObjective

    /// The unit's gradient (as ``ParameterVector``) and loss parts for `draw`, with `membrane`'s
    /// current weights.
    func gradient(of draw: SPMObjective.Draw, membrane: Membrane) -> (gradient: ParameterVector, parts: LossParts) {
        let rows = draw.rows
        let blocks = min(rows, 2)
        let bounds = (0..<blocks).map { rows * $0 / blocks ..< rows * ($0 + 1) / blocks }
        let needs = bounds.map { objective.originalRows(forMembraneRows: $0) }
        let lent = blocks == 2 ? Array(needs[1].prefix(max(0, bounds[1].count - bounds[0].count))) : []
        let handedOver = DispatchSemaphore(value: 0)
        var originals = [Tensor?](repeating: nil, count: draw.originalRows)
        var results = [(parts: LossParts, gradients: [Tensor?])](repeating: (LossParts(), []), count: blocks)
        let values = membrane.parameters
        originals.withUnsafeMutableBufferPointer { original in
            results.withUnsafeMutableBufferPointer { out in
                onCores(blocks) { b in
                    if b == 0 && !lent.isEmpty {
                        for (row, t) in zip(lent, objective.originalPredictions(draw, rows: lent)) { original[row] = t }
                        handedOver.signal()
                    }
                    let own = needs[b].filter { !(b == 1 && lent.contains($0)) }
                    for (row, t) in zip(own, objective.originalPredictions(draw, rows: own)) { original[row] = t }
                    if b == 1 && !lent.isEmpty { handedOver.wait() }
                    var known: [Int: Tensor] = [:]
                    for row in needs[b] { known[row] = original[row] }
                    let targets = objective.targets(forMembraneRows: bounds[b], originals: known)
                    let copy = membrane.replacingParameters(values).trainable()
                    let (loss, parts) = objective.loss(draw, rows: bounds[b], targets: targets, membrane: copy)
                    loss.backward()
                    out[b] = (parts, copy.parameters.map(\.grad))
                }
            }
        }
        var gradient = ParameterVector(zeros: values.reduce(0) { $0 + $1.count })
        var parts = LossParts()
        for r in results {
            gradient.add(gradients: r.gradients, of: values)
            parts += r.parts
        }
        return (gradient, parts)
    }
}
