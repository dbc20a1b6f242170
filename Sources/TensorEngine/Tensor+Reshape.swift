extension Tensor {
    /// The same elements under another shape (a view; no copy). One extent may be -1.
    public func reshaped(_ newShape: [Int]) -> Tensor {
        var s = newShape
        if let i = s.firstIndex(of: -1) {
            let known = s.enumerated().filter { $0.offset != i }.map(\.element).reduce(1, *)
            precondition(known > 0 && count % known == 0, "cannot reshape \(shape) to \(newShape)")
            s[i] = count / known
        }
        precondition(s.reduce(1, *) == count, "cannot reshape \(shape) to \(newShape)")
        let out = Tensor(shape: s, storage: storage, offset: offset)
        let inShape = shape
        return Tensor.record(out, inputs: [self]) { g in [g.reshaped(inShape)] }
    }
}
