import TensorEngine

/// One flat float vector laid out like a membrane's ``Membrane/parameters`` (sorted by layer
/// path, `down` before `up`, each tensor's scalars in order).
///
/// Parameters, AdamW's moments and gradients all take this one shape, so a training state can be
/// summed across ranks, sent in a message or written to a checkpoint without conversions.
public struct ParameterVector: Equatable, Sendable {
    /// The scalars.
    public var values: [Float]

    /// A vector holding `values`.
    public init(values: [Float]) { self.values = values }

    /// `count` zeros.
    public init(zeros count: Int) { values = [Float](repeating: 0, count: count) }

    /// The scalars of `tensors`, one after the other.
    public init(tensors: [Tensor]) {
        var values: [Float] = []
        values.reserveCapacity(tensors.reduce(0) { $0 + $1.count })
        for t in tensors { values += t.scalars }
        self.values = values
    }

    /// Number of scalars.
    public var count: Int { values.count }

    /// Adds `other` element by element (same length).
    public mutating func add(_ other: ParameterVector) {
        precondition(other.count == count, "adding a vector of \(other.count) to one of \(count)")
        for i in values.indices { values[i] += other.values[i] }
    }

    /// Adds the gradients of `parameters` (`nil`: zero) in their order.
    public mutating func add(gradients: [Tensor?], of parameters: [Tensor]) {
        var offset = 0
        for (p, g) in zip(parameters, gradients) {
            if let g {
                let gp = g.pointer
                for i in 0..<p.count { values[offset + i] += gp[i] }
            }
            offset += p.count
        }
        precondition(offset == count, "gradients of \(offset) scalars for a vector of \(count)")
    }

    /// The vector cut into tensors of `shapes` (frozen, in order).
    public func tensors(shapes: [[Int]]) -> [Tensor] {
        var offset = 0
        return shapes.map { shape in
            let n = shape.reduce(1, *)
            defer { offset += n }
            return Tensor(shape: shape, values: Array(values[offset..<(offset + n)]))
        }
    }
}

extension Membrane {
    /// The same membrane with its weights taken from `vector` (frozen).
    public func replacingParameters(_ vector: ParameterVector) -> Membrane {
        replacingParameters(vector.tensors(shapes: parameters.map(\.shape)))
    }
}
