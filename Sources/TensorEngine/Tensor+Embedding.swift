import Kernels

extension Tensor {
    /// Rows of `table` [V, D] picked by `ids`: the result is [ids.count, D].
    ///
    /// The backward pass scatter-adds the output gradient into a [V, D] table gradient (repeated
    /// ids accumulate); it runs only when `table` requires a gradient.
    public static func embedding(ids: [Int], table: Tensor) -> Tensor {
        precondition(table.rank == 2, "embedding: table must be [V, D], got \(table.shape)")
        let vocab = table.shape[0], dim = table.shape[1]
        for id in ids { precondition(id >= 0 && id < vocab, "embedding: id \(id) outside 0..<\(vocab)") }
        let out = Tensor(uninitialized: [ids.count, dim])
        let src = table.pointer, dst = out.pointer
        for (row, id) in ids.enumerated() { (dst + row * dim).update(from: src + id * dim, count: dim) }
        let tableShape = table.shape
        return Tensor.record(out, inputs: [table]) { g in
            let dt = Tensor.zeros(tableShape)
            let gp = g.pointer, tp = dt.pointer
            for (row, id) in ids.enumerated() {
                let from = gp + row * dim, to = tp + id * dim
                for j in 0..<dim { to[j] += from[j] }
            }
            return [dt]
        }
    }

    /// Rows of `table` [V, D] picked by `ids` (e.g. tokenizer output): the result is [ids.count, D].
    public static func embedding(ids: [Int32], table: Tensor) -> Tensor {
        embedding(ids: ids.map { Int($0) }, table: table)
    }
}
