import Foundation

/// A vertex of the autodiff graph: either a trainable leaf (a parameter) or the result of an op
/// whose inputs depend on a parameter. Frozen tensors have no node, so nothing is ever computed
/// or stored for their gradients.
public final class Node: @unchecked Sendable {
    /// Creation order; a node's inputs always have smaller ids, so descending ids are a
    /// topological order for the backward pass.
    let id: Int
    /// The nodes of the op's inputs, `nil` for inputs that need no gradient.
    let inputs: [Node?]
    /// Maps the gradient of this node's output to gradients of its inputs (`nil` for a leaf).
    var backward: ((Tensor) -> [Tensor?])?
    /// Accumulated gradient. Kept on leaves after ``Tensor/backward(_:)``; freed on inner nodes.
    public internal(set) var grad: Tensor?
    /// Whether this node is a parameter (a leaf).
    public var isLeaf: Bool { inputs.isEmpty }

    private static let counterLock = NSLock()
    nonisolated(unsafe) private static var counter = 0

    init(inputs: [Node?], backward: ((Tensor) -> [Tensor?])?) {
        Node.counterLock.lock()
        Node.counter += 1
        id = Node.counter
        Node.counterLock.unlock()
        self.inputs = inputs
        self.backward = backward
    }

    func accumulate(_ g: Tensor) {
        if let existing = grad {
            grad = existing.detached + g.detached
        } else {
            grad = g.detached
        }
    }
}

/// Whether ops record the autodiff graph. Recording is on by default; turn it off for sampling
/// passes that need no gradient with ``withoutGradient(_:)``.
public enum GradientMode {
    @TaskLocal public static var isRecording = true
}

/// Runs `body` with graph recording off: ops on parameters produce untracked tensors.
public func withoutGradient<T>(_ body: () throws -> T) rethrows -> T {
    try GradientMode.$isRecording.withValue(false, operation: body)
}

extension Tensor {
    /// This tensor as a trainable parameter: a leaf whose gradient ``backward(_:)`` fills in.
    public func parameter() -> Tensor {
        var t = detached
        t.node = Node(inputs: [], backward: nil)
        return t
    }

    /// Whether a gradient flows to this tensor.
    public var requiresGrad: Bool { node != nil }

    /// This tensor for a backward closure that reads it only to compute `other`'s gradient, or
    /// nil when `other` needs none. Ops capture their operands through this (and otherwise only
    /// shapes), so recording an op does not keep an input's buffer alive until the backward.
    func kept(forGradientOf other: Tensor) -> Tensor? { other.requiresGrad ? detached : nil }

    /// The gradient accumulated on this parameter by the last ``backward(_:)``.
    public var grad: Tensor? { node?.grad }

    /// Clears the accumulated gradient of this parameter.
    public func zeroGrad() { node?.grad = nil }

    /// Attaches `backward` to `output` when recording is on and any input needs a gradient.
    ///
    /// `backward` receives the gradient of `output` and returns one gradient per input, in order,
    /// `nil` where the input needs none. It is called at most once and released afterwards.
    public static func record(_ output: Tensor, inputs: [Tensor],
                              backward: @escaping (Tensor) -> [Tensor?]) -> Tensor {
        guard GradientMode.isRecording, inputs.contains(where: { $0.node != nil }) else { return output }
        var out = output
        out.node = Node(inputs: inputs.map(\.node), backward: backward)
        return out
    }

    /// Reverse-mode differentiation from this tensor. `seed` is d(objective)/d(self); it defaults
    /// to ones, so a scalar loss needs none. Parameters reachable from here get their gradient
    /// added to ``grad``; the graph behind this tensor is released.
    public func backward(_ seed: Tensor? = nil) {
        guard let root = node else { return }
        let g = seed ?? Tensor.full(shape, 1)
        precondition(g.shape == shape, "seed shape \(g.shape) differs from \(shape)")
        var seen = Set<ObjectIdentifier>()
        var order: [Node] = []
        var stack: [Node] = [root]
        while let n = stack.popLast() {
            guard seen.insert(ObjectIdentifier(n)).inserted else { continue }
            order.append(n)
            for case let p? in n.inputs { stack.append(p) }
        }
        order.sort { $0.id > $1.id }
        root.accumulate(g)
        for n in order {
            guard let fn = n.backward else { continue }
            guard let grad = n.grad else { n.backward = nil; continue }
            let grads = fn(grad)
            precondition(grads.count == n.inputs.count, "backward returned \(grads.count) gradients for \(n.inputs.count) inputs")
            for (input, gi) in zip(n.inputs, grads) {
                if let input, let gi { input.accumulate(gi) }
            }
            n.backward = nil
            n.grad = nil
        }
    }
}
