import TensorEngine

/// The activation between the two MLP layers of a CLIP transformer layer (`hidden_act`).
public enum CLIPActivation: String, Sendable, CaseIterable, Decodable {
    /// `x * sigmoid(1.702 x)`, OpenAI CLIP's own.
    case quickGelu = "quick_gelu"
    /// Exact GELU.
    case gelu

    /// Decodes a config's `hidden_act`; other values are reported as unsupported, naming the file.
    public init(from decoder: Decoder) throws {
        let name = try decoder.singleValueContainer().decode(String.self)
        guard let known = CLIPActivation(rawValue: name) else {
            throw UnsupportedOption(option: "hidden_act: \(name)",
                                    reason: "known: " + CLIPActivation.allCases.map(\.rawValue).joined(separator: ", "))
        }
        self = known
    }

    /// The activation applied elementwise to `x`.
    public func callAsFunction(_ x: Tensor) -> Tensor {
        switch self {
        case .quickGelu: return x.quickGelu()
        case .gelu: return x.gelu()
        }
    }
}

/// The sizes of a CLIP transformer encoder, shared by the text and the image tower.
public struct CLIPEncoderGeometry: Sendable, Equatable {
    /// Token width.
    public var hiddenSize: Int
    /// Width of the MLP's hidden layer.
    public var intermediateSize: Int
    /// Number of layers.
    public var layers: Int
    /// Attention heads per layer (they split `hiddenSize`).
    public var heads: Int
    /// Epsilon of every layer norm.
    public var layerNormEps: Float
    /// The MLP activation.
    public var activation: CLIPActivation

    /// The sizes as given.
    public init(hiddenSize: Int, intermediateSize: Int, layers: Int, heads: Int, layerNormEps: Float, activation: CLIPActivation) {
        self.hiddenSize = hiddenSize
        self.intermediateSize = intermediateSize
        self.layers = layers
        self.heads = heads
        self.layerNormEps = layerNormEps
        self.activation = activation
    }
}

/// transformers' `CLIPEncoder`: the stack `layers.0`, `layers.1`, ... of pre-norm transformer
/// layers. The text tower runs it with a causal mask, the image tower without.
public struct CLIPEncoder {
    /// The sizes the layers were read with.
    public let geometry: CLIPEncoderGeometry
    let layers: [CLIPEncoderLayer]

    /// Reads the layers below `w` (the `encoder` module).
    public init(_ w: Weights, geometry: CLIPEncoderGeometry) throws {
        self.geometry = geometry
        layers = try (0..<geometry.layers).map { try CLIPEncoderLayer(w["layers"][$0], geometry: geometry) }
    }

    /// Tokens [B, T, D] through every layer; with `causal`, token i sees only tokens 0...i.
    public func callAsFunction(_ x: Tensor, causal: Bool) -> Tensor {
        layers.reduce(x) { h, layer in layer(h, causal: causal) }
    }
}

/// One pre-norm CLIP encoder layer: self-attention, then the MLP, each after a layer norm and
/// with a residual connection.
struct CLIPEncoderLayer {
    let norm1: LayerNorm, q: Linear, k: Linear, v: Linear, out: Linear
    let norm2: LayerNorm, fc1: Linear, fc2: Linear
    let heads: Int
    let activation: CLIPActivation

    init(_ w: Weights, geometry g: CLIPEncoderGeometry) throws {
        let d = g.hiddenSize
        norm1 = try LayerNorm(w["layer_norm1"], dim: d, eps: g.layerNormEps)
        q = try Linear(w["self_attn"]["q_proj"], in: d, out: d)
        k = try Linear(w["self_attn"]["k_proj"], in: d, out: d)
        v = try Linear(w["self_attn"]["v_proj"], in: d, out: d)
        out = try Linear(w["self_attn"]["out_proj"], in: d, out: d)
        norm2 = try LayerNorm(w["layer_norm2"], dim: d, eps: g.layerNormEps)
        fc1 = try Linear(w["mlp"]["fc1"], in: d, out: g.intermediateSize)
        fc2 = try Linear(w["mlp"]["fc2"], in: g.intermediateSize, out: d)
        heads = g.heads
        activation = g.activation
    }

    func callAsFunction(_ x: Tensor, causal: Bool) -> Tensor {
        let n = norm1(x)
        let a = Tensor.attention(query: q(n), key: k(n), value: v(n), heads: heads, causal: causal)
        let h = out(a) + x
        return fc2(activation(fc1(norm2(h)))) + h
    }
}
