import Foundation
import TensorEngine

/// Where tensors are read from: a checkpoint file (or shards) of float weights by name.
public protocol TensorSource: AnyObject {
    /// The file (or index) shown in errors.
    var fileDescription: String { get }
    /// The shape of tensor `name`, nil when absent.
    func shape(of name: String) -> [Int]?
    /// The elements of tensor `name` widened to float32.
    func floats(_ name: String) throws -> [Float]
    /// The key under which tensor `name` is stored in the file, for errors (`name` itself unless
    /// the source renames, as a single LDM checkpoint does).
    func storedName(_ name: String) -> String
}

extension TensorSource {
    /// Sources that store tensors under the names layers ask for.
    public func storedName(_ name: String) -> String { name }
}

/// Random weights of whatever shape a layer asks for: for benchmarks of real architectures
/// without downloading them. Every tensor exists; values have variance 1/fan-in so
/// activations stay in range through deep networks.
public final class SyntheticSource: TensorSource {
    public let fileDescription = "synthetic weights"
    private var rng: RandomSource
    private var requested: [String: [Int]] = [:]

    public init(seed: UInt64 = 0) { rng = RandomSource(seed: seed) }

    public func shape(of name: String) -> [Int]? { requested[name] ?? [] }

    /// Number of scalars handed out so far (the parameter count of the layers built from it).
    public var scalarCount: Int { requested.values.reduce(0) { $0 + $1.reduce(1, *) } }

    func expect(_ name: String, shape: [Int]) { requested[name] = shape }

    public func floats(_ name: String) throws -> [Float] {
        let shape = requested[name] ?? []
        let n = shape.reduce(1, *)
        let fanIn = shape.count >= 2 ? shape.dropFirst().reduce(1, *) : 0
        if name.hasSuffix("norm.weight") || name.hasSuffix("norm1.weight") || name.hasSuffix("norm2.weight")
            || name.hasSuffix("norm3.weight") || name.hasSuffix("norm_out.weight") {
            return Array(repeating: 1, count: n)
        }
        if fanIn == 0 { return Array(repeating: 0, count: n) }
        // Uniform with the variance of N(0, 1/fan_in): cheap to draw for a billion weights.
        let bound = (3 / Float(fanIn)).squareRoot()
        return (0..<n).map { _ in (rng.uniform() * 2 - 1) * bound }
    }
}

/// A position in a model's module tree ("down_blocks.0.attentions.1"), from which a layer reads
/// its weights. Layers are built by walking this tree, so every weight name is derived from where
/// the layer sits, never from a table of names.
public struct Weights {
    let source: TensorSource
    /// Dotted module path, empty at the root.
    public let path: String

    /// The root of `source`, optionally below a prefix (e.g. "text_model").
    public init(_ source: TensorSource, prefix: String = "") {
        self.source = source
        self.path = prefix
    }

    /// The child module `name`.
    public subscript(_ name: String) -> Weights { Weights(source, prefix: path.isEmpty ? name : "\(path).\(name)") }
    /// The child module at index `i` of a module list.
    public subscript(_ i: Int) -> Weights { self[String(i)] }

    /// The full tensor name of parameter `name` here.
    public func name(_ name: String) -> String { path.isEmpty ? name : "\(path).\(name)" }

    /// Whether parameter `name` exists here.
    public func has(_ name: String) -> Bool { source.shape(of: self.name(name)) != nil }

    /// Reads parameter `name`, checking it has `shape`. A shape with the same element count but
    /// other axes (a 1x1 conv stored as a linear, say) is accepted and reshaped when `reshape` is set.
    public func tensor(_ name: String, shape: [Int], reshape: Bool = false) throws -> Tensor {
        let full = self.name(name)
        (source as? SyntheticSource)?.expect(full, shape: shape)
        guard let found = source.shape(of: full) else {
            throw ModelError.missingTensor(file: source.fileDescription, name: source.storedName(full))
        }
        let sameCount = found.reduce(1, *) == shape.reduce(1, *)
        guard found == shape || (reshape && sameCount) else {
            throw ModelError.wrongShape(file: source.fileDescription, name: source.storedName(full), expected: shape, found: found)
        }
        return Tensor(shape: shape, values: try source.floats(full))
    }

    /// Reads parameter `name` if present.
    public func optionalTensor(_ name: String, shape: [Int]) throws -> Tensor? {
        has(name) ? try tensor(name, shape: shape) : nil
    }
}
