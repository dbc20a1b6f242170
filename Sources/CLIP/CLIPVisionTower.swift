import StableDiffusion
import TensorEngine

/// transformers' `CLIPVisionTransformer` followed by `visual_projection`: patch embedding (a
/// convolution with stride = kernel = patch size, no bias), the class embedding in front of the
/// patch tokens, position embeddings, `pre_layrnorm` (transformers' spelling), the encoder
/// without a mask, `post_layernorm` on the class token, and the projection (no bias).
struct CLIPVisionTower {
    let config: CLIPVisionConfig
    let patchEmbedding: Conv2d
    let classEmbedding: Tensor
    let positionEmbedding: Tensor
    let preNorm: LayerNorm, encoder: CLIPEncoder, postNorm: LayerNorm
    let projection: Linear

    /// Reads `vision_model.*` and `visual_projection.weight` below `root`.
    init(config: CLIPVisionConfig, weights root: Weights, projectionDim: Int) throws {
        self.config = config
        let w = root["vision_model"], d = config.hiddenSize, p = config.patchSize
        patchEmbedding = try Conv2d(w["embeddings"]["patch_embedding"], in: config.numChannels, out: d, kernel: p, stride: p, bias: false)
        classEmbedding = try w["embeddings"].tensor("class_embedding", shape: [d]).reshaped([1, 1, d])
        let tokens = config.gridSize * config.gridSize + 1
        positionEmbedding = try w["embeddings"]["position_embedding"].tensor("weight", shape: [tokens, d]).reshaped([1, tokens, d])
        preNorm = try LayerNorm(w["pre_layrnorm"], dim: d, eps: config.layerNormEps)
        encoder = try CLIPEncoder(w["encoder"], geometry: config.encoderGeometry)
        postNorm = try LayerNorm(w["post_layernorm"], dim: d, eps: config.layerNormEps)
        projection = try Linear(root["visual_projection"], in: d, out: projectionDim, bias: false)
    }

    /// Image features [B, projection_dim] (not normalised) of pixels [B, 3, S, S], S the
    /// config's image size.
    func callAsFunction(_ pixels: Tensor) -> Tensor {
        let b = pixels.shape[0], d = config.hiddenSize, g = config.gridSize
        let patches = patchEmbedding(pixels).reshaped([b, d, g * g]).permuted([0, 2, 1])
        let tokens = Tensor.concat([classEmbedding.broadcast(to: [b, 1, d]), patches], axis: 1) + positionEmbedding
        let hidden = encoder(preNorm(tokens), causal: false)
        let pooled = postNorm(hidden.slice(axis: 1, range: 0..<1).reshaped([b, d]))
        return projection(pooled)
    }
}
