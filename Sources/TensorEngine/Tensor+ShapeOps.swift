import Kernels

extension Tensor {
    /// This tensor with its axes reordered: axis `k` of the result is axis `axes[k]` of this one
    /// (negative axes count from the end). Always a copy, except for the identity, which is a
    /// view. NCHW <-> NHWC (`[0, 2, 3, 1]` / `[0, 3, 1, 2]`) and other permutations that reduce
    /// to a batched matrix transpose use a cache-blocked transpose. The backward pass applies
    /// the inverse permutation.
    public func permuted(_ axes: [Int]) -> Tensor {
        precondition(axes.count == rank, "permuted: \(axes) for rank \(rank)")
        let perm = axes.map { normalizeAxis($0, rank: rank) }
        precondition(Set(perm).count == rank, "permuted: \(axes) is not a permutation")
        if perm == Array(0..<rank) { return reshaped(shape) }
        let out = Tensor(uninitialized: perm.map { shape[$0] })
        permute(pointer, shape: shape, axes: perm, out.pointer)
        var inverse = perm
        for (k, a) in perm.enumerated() { inverse[a] = k }
        return Tensor.record(out, inputs: [self]) { g in [g.permuted(inverse)] }
    }

    /// This tensor with axes `axis0` and `axis1` swapped (by default the last two, a matrix
    /// transpose of every trailing matrix). A copy; see ``permuted(_:)``.
    public func transposed(_ axis0: Int = -2, _ axis1: Int = -1) -> Tensor {
        var perm = Array(0..<rank)
        perm.swapAt(normalizeAxis(axis0, rank: rank), normalizeAxis(axis1, rank: rank))
        return permuted(perm)
    }

    /// Joins `tensors` along `axis`; all other extents must agree. The backward pass hands each
    /// input that requires a gradient its slice of the output gradient.
    public static func concat(_ tensors: [Tensor], axis: Int) -> Tensor {
        precondition(!tensors.isEmpty, "concat of no tensors")
        let first = tensors[0], a = normalizeAxis(axis, rank: first.rank)
        var outShape = first.shape
        outShape[a] = 0
        for t in tensors {
            var s = t.shape
            precondition(s.count == first.rank, "concat: shapes \(first.shape) and \(t.shape)")
            s[a] = 0
            precondition(s == outShape, "concat along \(a): shapes \(first.shape) and \(t.shape)")
        }
        outShape[a] = tensors.reduce(0) { $0 + $1.shape[a] }
        let outer = first.shape[..<a].reduce(1, *), inner = first.shape[(a + 1)...].reduce(1, *)
        let out = Tensor(uninitialized: outShape)
        let rowLength = outShape[a] * inner
        var starts: [Int] = []
        var at = 0
        for t in tensors {
            starts.append(at)
            let length = t.shape[a] * inner
            copyRows(t.pointer, srcStride: length, out.pointer + at, dstStride: rowLength, rows: outer, length: length)
            at += length
        }
        let needs = tensors.map(\.requiresGrad)
        let extents = tensors.map { $0.shape[a] }
        return record(out, inputs: tensors) { g in
            var grads: [Tensor?] = []
            var lower = 0
            for (i, e) in extents.enumerated() {
                grads.append(needs[i] ? g.sliceCopy(axis: a, range: lower..<(lower + e)) : nil)
                lower += e
            }
            return grads
        }
    }

    /// The elements with index in `range` along `axis`. A view sharing this tensor's storage
    /// when every axis before `axis` has extent 1 (e.g. any slice along axis 0), otherwise a
    /// copy. The backward pass scatters the gradient into zeros of this tensor's shape.
    public func slice(axis: Int, range: Range<Int>) -> Tensor {
        let a = normalizeAxis(axis, rank: rank)
        precondition(range.lowerBound >= 0 && range.upperBound <= shape[a],
                     "slice \(range) out of bounds for axis \(a) of \(shape)")
        let outer = shape[..<a].reduce(1, *)
        let out: Tensor
        if outer == 1 {
            var s = shape
            s[a] = range.count
            out = Tensor(shape: s, storage: storage, offset: offset + range.lowerBound * shape[(a + 1)...].reduce(1, *))
        } else {
            out = sliceCopy(axis: a, range: range)
        }
        let inShape = shape
        return Tensor.record(out, inputs: [self]) { g in [g.padded(into: inShape, axis: a, at: range.lowerBound)] }
    }

    /// Splits along `axis` into consecutive pieces of the given extents, which must add up to
    /// the axis extent. Each piece is a ``slice(axis:range:)``: pieces that take no part in the
    /// loss simply contribute no gradient (zeros).
    public func split(sizes: [Int], axis: Int) -> [Tensor] {
        let a = normalizeAxis(axis, rank: rank)
        precondition(sizes.allSatisfy { $0 >= 0 } && sizes.reduce(0, +) == shape[a],
                     "split \(sizes) does not cover axis \(a) of \(shape)")
        var pieces: [Tensor] = []
        var lower = 0
        for s in sizes {
            pieces.append(slice(axis: a, range: lower..<(lower + s)))
            lower += s
        }
        return pieces
    }

    /// Splits along `axis` into `n` pieces of equal extent (the extent must divide by `n`).
    public func chunked(_ n: Int, axis: Int) -> [Tensor] {
        let a = normalizeAxis(axis, rank: rank)
        precondition(n > 0 && shape[a] % n == 0, "chunked: axis \(a) of \(shape) into \(n) pieces")
        return split(sizes: [Int](repeating: shape[a] / n, count: n), axis: a)
    }

    /// A copy of the elements with index in `range` along `axis` (normalized), untracked.
    func sliceCopy(axis a: Int, range: Range<Int>) -> Tensor {
        var s = shape
        s[a] = range.count
        let outer = shape[..<a].reduce(1, *), inner = shape[(a + 1)...].reduce(1, *)
        let out = Tensor(uninitialized: s)
        copyRows(pointer + range.lowerBound * inner, srcStride: shape[a] * inner,
                 out.pointer, dstStride: range.count * inner, rows: outer, length: range.count * inner)
        return out
    }

    /// Zeros of `target` with this tensor written at index `lower` along `axis`, untracked.
    func padded(into target: [Int], axis a: Int, at lower: Int) -> Tensor {
        let out = Tensor.zeros(target)
        let outer = target[..<a].reduce(1, *), inner = target[(a + 1)...].reduce(1, *)
        copyRows(pointer, srcStride: shape[a] * inner, out.pointer + lower * inner,
                 dstStride: target[a] * inner, rows: outer, length: shape[a] * inner)
        return out
    }
}
