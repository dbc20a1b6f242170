import TensorEngine

/// transformers' `CLIPTextModel`: token and position embeddings, pre-norm transformer layers with
/// a causal mask, and a final layer norm. Its last hidden state conditions the UNet.
public struct CLIPTextModel {
    public let config: CLIPTextConfig
    let tokenEmbedding: Tensor, positionEmbedding: Tensor
    let layers: [CLIPEncoderLayer]
    let finalNorm: LayerNorm

    /// Reads the model at `w`; checkpoints that prefix every name with `text_model.` are handled
    /// by passing the prefixed root.
    public init(config: CLIPTextConfig, weights root: Weights) throws {
        self.config = config
        let w = root.has("text_model.embeddings.token_embedding.weight") ? root["text_model"] : root
        let d = config.hiddenSize
        tokenEmbedding = try w["embeddings"]["token_embedding"].tensor("weight", shape: [config.vocabSize, d])
        positionEmbedding = try w["embeddings"]["position_embedding"].tensor("weight", shape: [config.maxPositionEmbeddings, d])
        layers = try (0..<config.numHiddenLayers).map { try CLIPEncoderLayer(w["encoder"]["layers"][$0], config: config) }
        finalNorm = try LayerNorm(w["final_layer_norm"], dim: d, eps: config.layerNormEps)
    }

    /// The last hidden state [B, T, D] for token id rows (each of the same length T).
    public func callAsFunction(_ ids: [[Int32]]) -> Tensor {
        let t = ids.first?.count ?? 0
        precondition(t <= config.maxPositionEmbeddings, "\(t) tokens exceed \(config.maxPositionEmbeddings) positions")
        let flat = ids.flatMap { row in row.map { Int(min(max($0, 0), Int32(config.vocabSize - 1))) } }
        let positions = Tensor.embedding(ids: Array(0..<t), table: positionEmbedding)
        var h = Tensor.embedding(ids: flat, table: tokenEmbedding).reshaped([ids.count, t, config.hiddenSize]) + positions
        for layer in layers { h = layer(h) }
        return finalNorm(h)
    }
}

/// One pre-norm CLIP encoder layer.
struct CLIPEncoderLayer {
    let norm1: LayerNorm, q: Linear, k: Linear, v: Linear, out: Linear
    let norm2: LayerNorm, fc1: Linear, fc2: Linear
    let heads: Int
    let quickGelu: Bool

    init(_ w: Weights, config c: CLIPTextConfig) throws {
        let d = c.hiddenSize
        norm1 = try LayerNorm(w["layer_norm1"], dim: d, eps: c.layerNormEps)
        q = try Linear(w["self_attn"]["q_proj"], in: d, out: d)
        k = try Linear(w["self_attn"]["k_proj"], in: d, out: d)
        v = try Linear(w["self_attn"]["v_proj"], in: d, out: d)
        out = try Linear(w["self_attn"]["out_proj"], in: d, out: d)
        norm2 = try LayerNorm(w["layer_norm2"], dim: d, eps: c.layerNormEps)
        fc1 = try Linear(w["mlp"]["fc1"], in: d, out: c.intermediateSize)
        fc2 = try Linear(w["mlp"]["fc2"], in: c.intermediateSize, out: d)
        heads = c.numAttentionHeads
        quickGelu = c.hiddenAct == "quick_gelu"
    }

    func callAsFunction(_ x: Tensor) -> Tensor {
        let n = norm1(x)
        let a = Tensor.attention(query: q(n), key: k(n), value: v(n), heads: heads, causal: true)
        let h = out(a) + x
        let m = fc1(norm2(h))
        return fc2(quickGelu ? m.quickGelu() : m.gelu()) + h
    }
}
