import TensorEngine

/// transformers' `CLIPTextModel`: token and position embeddings, pre-norm transformer layers with
/// a causal mask, and a final layer norm. Its last hidden state conditions the UNet.
public struct CLIPTextModel {
    public let config: CLIPTextConfig
    let tokenEmbedding: Tensor, positionEmbedding: Tensor
    let encoder: CLIPEncoder
    let finalNorm: LayerNorm

    /// Reads the model at `w`; checkpoints that prefix every name with `text_model.` are handled
    /// by passing the prefixed root.
    public init(config: CLIPTextConfig, weights root: Weights) throws {
        self.config = config
        let w = root.has("text_model.embeddings.token_embedding.weight") ? root["text_model"] : root
        let d = config.hiddenSize
        tokenEmbedding = try w["embeddings"]["token_embedding"].tensor("weight", shape: [config.vocabSize, d])
        positionEmbedding = try w["embeddings"]["position_embedding"].tensor("weight", shape: [config.maxPositionEmbeddings, d])
        encoder = try CLIPEncoder(w["encoder"], geometry: config.encoderGeometry)
        finalNorm = try LayerNorm(w["final_layer_norm"], dim: d, eps: config.layerNormEps)
    }

    /// The last hidden state [B, T, D] for token id rows (each of the same length T).
    public func callAsFunction(_ ids: [[Int32]]) -> Tensor {
        let t = ids.first?.count ?? 0
        precondition(t <= config.maxPositionEmbeddings, "\(t) tokens exceed \(config.maxPositionEmbeddings) positions")
        let flat = ids.flatMap { row in row.map { Int(min(max($0, 0), Int32(config.vocabSize - 1))) } }
        let positions = Tensor.embedding(ids: Array(0..<t), table: positionEmbedding)
        let h = Tensor.embedding(ids: flat, table: tokenEmbedding).reshaped([ids.count, t, config.hiddenSize]) + positions
        return finalNorm(encoder(h, causal: true))
    }
}
