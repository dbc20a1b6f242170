import Kernels

/// A contiguous, row-major float32 tensor (NCHW for images), optionally tracked for autodiff.
///
/// Tensors are values: ops return new tensors and never modify their inputs. Reshapes and slices
/// along the first axis share storage with the tensor they come from.
public struct Tensor: @unchecked Sendable {
    /// Extent of each axis, outermost first.
    public let shape: [Int]
    /// The buffer holding the elements (possibly shared with other views).
    public let storage: Storage
    /// Index of the first element in ``storage``.
    public let offset: Int
    /// The autodiff node, present when this tensor is a trainable parameter or depends on one.
    public internal(set) var node: Node?

    /// Wraps existing storage. `offset + count` must fit inside the storage.
    public init(shape: [Int], storage: Storage, offset: Int = 0) {
        precondition(shape.allSatisfy { $0 >= 0 }, "negative extent in shape \(shape)")
        precondition(offset + shape.reduce(1, *) <= storage.capacity, "shape \(shape) exceeds storage")
        self.shape = shape
        self.storage = storage
        self.offset = offset
        self.node = nil
    }

    /// A tensor with unspecified contents (from the buffer pool).
    public init(uninitialized shape: [Int]) {
        self.init(shape: shape, storage: Storage(capacity: shape.reduce(1, *)))
    }

    /// A tensor holding `values` in row-major order.
    public init(shape: [Int], values: [Float]) {
        precondition(values.count == shape.reduce(1, *), "\(values.count) values for shape \(shape)")
        self.init(uninitialized: shape)
        values.withUnsafeBufferPointer { pointer.update(from: $0.baseAddress!, count: values.count) }
    }

    /// A tensor of zeros.
    public static func zeros(_ shape: [Int]) -> Tensor { full(shape, 0) }

    /// A tensor with every element equal to `value`.
    public static func full(_ shape: [Int], _ value: Float) -> Tensor {
        let t = Tensor(uninitialized: shape)
        t.pointer.update(repeating: value, count: t.count)
        return t
    }

    /// Standard normal samples drawn from `rng`.
    public static func randn(_ shape: [Int], using rng: inout RandomSource) -> Tensor {
        let t = Tensor(uninitialized: shape)
        for i in 0..<t.count { t.pointer[i] = rng.normal() }
        return t
    }

    /// Uniform samples in `range` drawn from `rng`.
    public static func uniform(_ shape: [Int], in range: ClosedRange<Float>, using rng: inout RandomSource) -> Tensor {
        let t = Tensor(uninitialized: shape)
        for i in 0..<t.count { t.pointer[i] = range.lowerBound + (range.upperBound - range.lowerBound) * rng.uniform() }
        return t
    }

    /// Number of elements.
    public var count: Int { shape.reduce(1, *) }
    /// Number of axes.
    public var rank: Int { shape.count }
    /// Pointer to the first element. Writing through it is only for the op that created the tensor.
    public var pointer: UnsafeMutablePointer<Float> { storage.pointer + offset }
    /// The elements in row-major order.
    public var scalars: [Float] { Array(UnsafeBufferPointer(start: pointer, count: count)) }
    /// The single element of a one-element tensor.
    public var item: Float {
        precondition(count == 1, "item of a tensor with shape \(shape)")
        return pointer[0]
    }

    /// A fresh copy with its own storage and no autodiff history.
    public func copy() -> Tensor {
        let t = Tensor(uninitialized: shape)
        t.pointer.update(from: pointer, count: count)
        return t
    }

    /// The same elements with no autodiff history (a view, no copy).
    public var detached: Tensor { Tensor(shape: shape, storage: storage, offset: offset) }
}

extension Tensor: CustomStringConvertible {
    public var description: String {
        let head = scalars.prefix(8).map { String($0) }.joined(separator: ", ")
        return "Tensor(\(shape), [\(head)\(count > 8 ? ", ..." : "")])"
    }
}

/// Resolves a possibly negative axis index against `rank`.
@inlinable
func normalizeAxis(_ axis: Int, rank: Int) -> Int {
    let a = axis < 0 ? axis + rank : axis
    precondition(a >= 0 && a < rank, "axis \(axis) out of range for rank \(rank)")
    return a
}
