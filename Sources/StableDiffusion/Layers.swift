import TensorEngine

/// Adds trainable low-rank terms to the frozen layers it is asked about. The UNet asks for every
/// Linear and Conv2d inside its Transformer2DModels (where membranes sit).
public protocol LayerAdapter {
    /// The term to add to the output of layer `path` for `input`, or nil when none applies.
    func delta(path: String, input: Tensor, layer: AdaptedLayer) -> Tensor?
    /// A weight to use instead of layer `path`'s own `original` (terms merged into the frozen
    /// weight), or nil to keep it. Asked before ``delta(path:input:layer:)``.
    func weight(path: String, original: Tensor) -> Tensor?
    /// The adapter for rows `rows` of the batch (the UNet splits a batch over cores).
    func rows(_ rows: Range<Int>) -> LayerAdapter
}

extension LayerAdapter {
    /// Keeps every layer's own weight.
    public func weight(path: String, original: Tensor) -> Tensor? { nil }
    /// The same adapter: it treats every row alike.
    public func rows(_ rows: Range<Int>) -> LayerAdapter { self }
}

/// The geometry of a layer an adapter attaches to.
public enum AdaptedLayer: Sendable, Equatable {
    case linear(inFeatures: Int, outFeatures: Int)
    case conv(inChannels: Int, outChannels: Int, kernel: Int, stride: Int, padding: Int)
}

/// A fully connected layer: `<path>.weight` [out, in] and optional `<path>.bias` [out].
public struct Linear {
    /// Module path, e.g. "down_blocks.0.attentions.0.transformer_blocks.0.attn1.to_q".
    public let path: String
    public let weight: Tensor
    public let bias: Tensor?

    /// Reads the layer at `w`; `bias` says whether the layer has one.
    public init(_ w: Weights, in nIn: Int, out nOut: Int, bias: Bool = true) throws {
        path = w.path
        weight = try w.tensor("weight", shape: [nOut, nIn], reshape: true)
        self.bias = bias ? try w.tensor("bias", shape: [nOut]) : nil
    }

    public var inFeatures: Int { weight.shape[1] }
    public var outFeatures: Int { weight.shape[0] }

    /// `x W^T + b`, plus the adapter's term when one is given.
    public func callAsFunction(_ x: Tensor, adapter: LayerAdapter? = nil) -> Tensor {
        let y = x.linear(weight: adapter?.weight(path: path, original: weight) ?? weight, bias: bias)
        guard let adapter, let d = adapter.delta(path: path, input: x, layer: .linear(inFeatures: inFeatures, outFeatures: outFeatures)) else { return y }
        return y + d
    }
}

/// A 2-D convolution: `<path>.weight` [out, in, k, k] and `<path>.bias` [out].
public struct Conv2d {
    public let path: String
    public let weight: Tensor
    public let bias: Tensor?
    public let stride: Int
    public let padding: Int
    /// The 3x3 kernels transformed for Winograd on first use (3x3, stride 1, padding 1 only).
    public let winograd: WinogradKernels?

    /// Reads the layer at `w`.
    public init(_ w: Weights, in nIn: Int, out nOut: Int, kernel: Int, stride: Int = 1, padding: Int = 0, bias: Bool = true) throws {
        path = w.path
        weight = try w.tensor("weight", shape: [nOut, nIn, kernel, kernel], reshape: kernel == 1)
        self.bias = bias ? try w.tensor("bias", shape: [nOut]) : nil
        self.stride = stride
        self.padding = padding
        winograd = kernel == 3 && stride == 1 && padding == 1 ? WinogradKernels(weight) : nil
    }

    public var kernel: Int { weight.shape[2] }

    /// The convolution of an NCHW input, plus the adapter's term when one is given.
    public func callAsFunction(_ x: Tensor, adapter: LayerAdapter? = nil) -> Tensor {
        let w = adapter?.weight(path: path, original: weight) ?? weight
        let y = x.conv2d(weight: w, bias: bias, stride: stride, padding: padding, winograd: winograd)
        let geometry = AdaptedLayer.conv(inChannels: weight.shape[1], outChannels: weight.shape[0], kernel: kernel, stride: stride, padding: padding)
        guard let adapter, let d = adapter.delta(path: path, input: x, layer: geometry) else { return y }
        return y + d
    }
}

/// Group normalisation with affine parameters `<path>.weight`, `<path>.bias`.
public struct GroupNorm {
    public let weight: Tensor
    public let bias: Tensor
    public let groups: Int
    public let eps: Float

    public init(_ w: Weights, channels: Int, groups: Int, eps: Float) throws {
        weight = try w.tensor("weight", shape: [channels])
        bias = try w.tensor("bias", shape: [channels])
        self.groups = groups
        self.eps = eps
    }

    public func callAsFunction(_ x: Tensor) -> Tensor {
        x.groupNorm(groups: groups, weight: weight, bias: bias, eps: eps)
    }
}

/// Layer normalisation over the last axis with `<path>.weight`, `<path>.bias`.
public struct LayerNorm {
    public let weight: Tensor
    public let bias: Tensor
    public let eps: Float

    public init(_ w: Weights, dim: Int, eps: Float) throws {
        weight = try w.tensor("weight", shape: [dim])
        bias = try w.tensor("bias", shape: [dim])
        self.eps = eps
    }

    public func callAsFunction(_ x: Tensor) -> Tensor { x.layerNorm(weight: weight, bias: bias, eps: eps) }
}
