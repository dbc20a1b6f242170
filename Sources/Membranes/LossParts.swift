/// Loss parts of one iteration (means over its trajectories).
public struct LossParts: Sendable, Equatable {
    /// MSE between the membrane's target prediction and the erase target.
    public var erase: Float = 0
    /// MSE between membrane and original predictions on the anchors (before la_strength).
    public var anchoring: Float = 0
    /// The optimised loss: erase + la_strength * anchoring, over the batch.
    public var total: Float = 0

    public init(erase: Float = 0, anchoring: Float = 0, total: Float = 0) {
        self.erase = erase
        self.anchoring = anchoring
        self.total = total
    }

    /// Adds `b` part by part.
    public static func += (a: inout LossParts, b: LossParts) {
        a.erase += b.erase
        a.anchoring += b.anchoring
        a.total += b.total
    }

    /// Every part passed through `f`.
    public func map(_ f: (Float) -> Float) -> LossParts {
        LossParts(erase: f(erase), anchoring: f(anchoring), total: f(total))
    }

    /// The parts in a fixed order (erase, anchoring, total), for flat buffers.
    public var scalars: [Float] { [erase, anchoring, total] }

    /// Parts from ``scalars`` order; `nil` unless exactly three values are given.
    public init?(scalars: [Float]) {
        guard scalars.count == 3 else { return nil }
        self.init(erase: scalars[0], anchoring: scalars[1], total: scalars[2])
    }
}
