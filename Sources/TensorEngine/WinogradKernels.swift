import Foundation
import Kernels

/// The 3x3 kernels of one convolution layer, transformed for Winograd F(2x2, 3x3)
/// (``winogradWeights(_:outChannels:inChannels:into:)``) on first use and kept; the same
/// transform serves the input gradient.
///
/// A layer holds one and passes it to ``Tensor/conv2d(weight:bias:stride:padding:winograd:)``,
/// so frozen weights are transformed once rather than per call (the weight must not change
/// afterwards: a kept transform is never recomputed). Transforms larger than
/// ``cacheLimit`` floats are not kept: each call transforms blocks of the weight as its GEMMs
/// need them (``WinogradWeightSource/untransformed(_:)``), and such layers only run by Winograd
/// on images large enough for that to cost little. Safe to share between threads.
public final class WinogradKernels: @unchecked Sendable {
    /// The `[O, C, 3, 3]` weight the transform is made from.
    public let weight: Tensor
    private let lock = NSLock()
    private var kept: Tensor?

    /// Transformed kernels up to this many floats (16 * O * C) are kept after first use.
    public static let cacheLimit = 1 << 22

    /// Prepares `weight` (`[O, C, 3, 3]`); nothing is computed until first use.
    public init(_ weight: Tensor) {
        precondition(weight.rank == 4 && weight.shape[2] == 3 && weight.shape[3] == 3,
                     "WinogradKernels: weight \(weight.shape) is not [O, C, 3, 3]")
        self.weight = weight
    }

    /// Whether these are the kernels of `w` (same elements in the same storage).
    func belongs(to w: Tensor) -> Bool {
        w.storage === weight.storage && w.offset == weight.offset && w.shape == weight.shape
    }

    /// Whether the transform of this weight is kept once made (it fits ``cacheLimit``).
    public var keepsTransforms: Bool { 16 * weight.shape[0] * weight.shape[1] <= Self.cacheLimit }

    /// Whether the forward transform is kept (first use happened and it fits ``cacheLimit``).
    public var isKept: Bool { lock.withLock { kept != nil } }

    /// The `[16, O, C]` transformed kernels.
    func transformed() -> Tensor {
        if let kept = lock.withLock({ kept }) { return kept }
        let t = Self.transform(weight)
        if keepsTransforms { lock.withLock { if kept == nil { kept = t } } }
        return t
    }

    /// Transforms `weight` without keeping the result.
    static func transform(_ weight: Tensor) -> Tensor {
        let o = weight.shape[0], c = weight.shape[1]
        let t = Tensor(uninitialized: [16, o, c])
        winogradWeights(weight.pointer, outChannels: o, inChannels: c, into: t.pointer)
        return t
    }
}
