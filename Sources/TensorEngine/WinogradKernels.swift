import Foundation
import Kernels

/// The 3x3 kernels of one convolution layer, transformed for Winograd F(2x2, 3x3)
/// (``winogradWeights(_:outChannels:inChannels:forInputGradient:into:)``) on first use and kept.
///
/// A layer holds one and passes it to ``Tensor/conv2d(weight:bias:stride:padding:winograd:)``,
/// so frozen weights are transformed once rather than per call (the weight must not change
/// afterwards: a kept transform is never recomputed). Transforms larger than
/// ``cacheLimit`` floats are not kept (each call transforms again; such layers are only run on
/// images large enough for that to cost little). Safe to share between threads.
public final class WinogradKernels: @unchecked Sendable {
    /// The `[O, C, 3, 3]` weight the transform is made from.
    public let weight: Tensor
    private let lock = NSLock()
    private var kept: Tensor?
    private var keptForInputGradient: Tensor?

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

    /// Whether the forward transform is kept (first use happened and it fits ``cacheLimit``).
    public var isKept: Bool { lock.withLock { kept != nil } }

    /// The `[16, O, C]` transformed kernels.
    func transformed() -> Tensor { cached(\.kept, forInputGradient: false) }

    /// The `[16, C, O]` transformed kernels of the input gradient (see
    /// ``winogradWeights(_:outChannels:inChannels:forInputGradient:into:)``).
    func transformedForInputGradient() -> Tensor { cached(\.keptForInputGradient, forInputGradient: true) }

    private func cached(_ slot: ReferenceWritableKeyPath<WinogradKernels, Tensor?>, forInputGradient: Bool) -> Tensor {
        if let kept = lock.withLock({ self[keyPath: slot] }) { return kept }
        let t = Self.transform(weight, forInputGradient: forInputGradient)
        if t.count <= Self.cacheLimit { lock.withLock { if self[keyPath: slot] == nil { self[keyPath: slot] = t } } }
        return t
    }

    /// Transforms `weight` without keeping the result.
    static func transform(_ weight: Tensor, forInputGradient: Bool = false) -> Tensor {
        let o = weight.shape[0], c = weight.shape[1]
        let t = Tensor(uninitialized: forInputGradient ? [16, c, o] : [16, o, c])
        winogradWeights(weight.pointer, outChannels: o, inChannels: c, forInputGradient: forInputGradient, into: t.pointer)
        return t
    }
}
