/// The broadcast of two shapes (numpy rules: align trailing axes, extents equal or 1).
public func broadcastShape(_ a: [Int], _ b: [Int]) -> [Int]? {
    let rank = max(a.count, b.count)
    var out = [Int](repeating: 1, count: rank)
    for i in 0..<rank {
        let x = i < rank - a.count ? 1 : a[i - (rank - a.count)]
        let y = i < rank - b.count ? 1 : b[i - (rank - b.count)]
        if x == y || y == 1 { out[i] = x } else if x == 1 { out[i] = y } else { return nil }
    }
    return out
}

/// A walk over an output shape with per-operand element strides (0 on broadcast axes), with
/// adjacent axes merged wherever every operand allows it, so the innermost loop is long.
public struct StridedWalk: Sendable {
    /// Merged extents, outermost first; the last one is the inner loop.
    public let extents: [Int]
    /// For each operand, its stride along each merged axis.
    public let strides: [[Int]]

    /// Plans a walk over `shape` for operands of the given shapes, each broadcastable to `shape`.
    public init(shape: [Int], operands: [[Int]]) {
        let rank = max(shape.count, 1)
        let outShape = shape.isEmpty ? [1] : shape
        var perOperand: [[Int]] = operands.map { s in
            let aligned = [Int](repeating: 1, count: rank - s.count) + s
            var st = [Int](repeating: 0, count: rank)
            var acc = 1
            for i in stride(from: rank - 1, through: 0, by: -1) {
                st[i] = aligned[i] == 1 && outShape[i] != 1 ? 0 : acc
                acc *= aligned[i]
            }
            return st
        }
        var ext = outShape
        var i = rank - 1
        while i > 0 {
            let mergeable = perOperand.allSatisfy { $0[i - 1] == $0[i] * ext[i] }
            if mergeable {
                ext[i - 1] *= ext[i]
                ext.remove(at: i)
                for k in perOperand.indices { perOperand[k][i - 1] = perOperand[k][i]; perOperand[k].remove(at: i) }
            }
            i -= 1
        }
        extents = ext
        strides = perOperand
    }

    /// Number of inner rows (product of all but the last extent).
    public var rows: Int { extents.dropLast().reduce(1, *) }
    /// Length of the inner loop.
    public var inner: Int { extents.last ?? 1 }

    /// Element offset of each operand at the start of inner row `row`.
    @inlinable
    public func rowOffsets(_ row: Int, into offsets: inout [Int]) {
        var r = row
        for k in offsets.indices { offsets[k] = 0 }
        var axis = extents.count - 2
        while axis >= 0 {
            let idx = r % extents[axis]
            r /= extents[axis]
            for k in offsets.indices { offsets[k] += idx * strides[k][axis] }
            axis -= 1
        }
    }
}
