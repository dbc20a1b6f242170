import Foundation
import StableDiffusion
import TensorEngine

/// One layer of a membrane: a low-rank term `up(down(x))` added to a frozen UNet layer.
public struct MembraneLayer {
    /// The frozen layer this term is added to.
    public let site: AdapterSite
    /// `lora_down`: [r, in] for a linear, [r, in, k, k] for a conv (same kernel, stride, padding).
    public var down: Tensor
    /// `lora_up`: [out, r] for a linear, [out, r, 1, 1] for a conv.
    public var up: Tensor

    /// The rank r.
    public var rank: Int { down.shape[0] }

    /// The term for `input` (no multiplier applied).
    func term(_ input: Tensor) -> Tensor {
        switch site.layer {
        case .linear:
            return input.linear(weight: down).linear(weight: up)
        case .conv(_, _, _, let stride, let padding):
            return input.conv2d(weight: down, bias: nil, stride: stride, padding: padding)
                .conv2d(weight: up, bias: nil, stride: 1, padding: 0)
        }
    }
}

/// A Concept Semi-Permeable Membrane: rank-1 terms on every Linear and Conv2d inside the UNet's
/// transformers, trained to stop the model drawing its targets while leaving the rest alone.
public struct Membrane {
    /// The erased concepts (`prompts` in the file metadata).
    public var targets: [String]
    /// Layers by module path.
    public var layers: [String: MembraneLayer]
    /// `alpha` of the file; the term is scaled by alpha / rank.
    public var alpha: Float = 1
    /// Metadata of our own (base model fingerprint, config hash, iterations, seed, metrics, ...).
    public var info: [String: String] = [:]

    /// A fresh membrane for `sites`: `down` Kaiming-uniform (bound 1/sqrt(fan_in)), `up` zero,
    /// so it starts as the identity on the model's behaviour.
    public init(sites: [AdapterSite], targets: [String], rank: Int = 1, seed: UInt64) {
        var rng = RandomSource(seed: seed)
        var layers: [String: MembraneLayer] = [:]
        for site in sites {
            let downShape: [Int], upShape: [Int], fanIn: Int
            switch site.layer {
            case .linear(let nIn, let nOut):
                downShape = [rank, nIn]; upShape = [nOut, rank]; fanIn = nIn
            case .conv(let nIn, let nOut, let k, _, _):
                downShape = [rank, nIn, k, k]; upShape = [nOut, rank, 1, 1]; fanIn = nIn * k * k
            }
            let bound = 1 / Float(fanIn).squareRoot()
            layers[site.path] = MembraneLayer(site: site, down: Tensor.uniform(downShape, in: -bound...bound, using: &rng),
                                              up: Tensor.zeros(upShape))
        }
        self.targets = targets
        self.layers = layers
    }

    /// Builds a membrane from already-shaped layers.
    public init(targets: [String], layers: [String: MembraneLayer], alpha: Float = 1, info: [String: String] = [:]) {
        self.targets = targets
        self.layers = layers
        self.alpha = alpha
        self.info = info
    }

    /// The rank (1 for SPM).
    public var rank: Int { layers.values.first?.rank ?? 1 }

    /// Scale applied to every term: alpha / rank.
    public var scale: Float { alpha / Float(max(rank, 1)) }

    /// Total scalar parameters (1.7 MB of float32 for SD v1.4).
    public var parameterCount: Int { layers.values.reduce(0) { $0 + $1.down.count + $1.up.count } }

    /// The same membrane with every weight a trainable parameter.
    public func trainable() -> Membrane {
        var m = self
        for (k, l) in layers { m.layers[k] = MembraneLayer(site: l.site, down: l.down.parameter(), up: l.up.parameter()) }
        return m
    }

    /// The trainable tensors in a fixed order (sorted by path; down before up).
    public var parameters: [Tensor] {
        layers.keys.sorted().flatMap { [layers[$0]!.down, layers[$0]!.up] }
    }

    /// A copy whose weights are `values` in ``parameters`` order (frozen).
    public func replacingParameters(_ values: [Tensor]) -> Membrane {
        var m = self
        for (i, k) in layers.keys.sorted().enumerated() {
            let l = layers[k]!
            m.layers[k] = MembraneLayer(site: l.site, down: values[2 * i].detached, up: values[2 * i + 1].detached)
        }
        return m
    }
}
