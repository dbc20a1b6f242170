import Foundation
import StableDiffusion

/// A transformers `CLIPVisionConfig`: the `vision_config` of a CLIPModel config. Keys left out
/// take transformers' defaults (ViT-B/32).
public struct CLIPVisionConfig: Decodable, Sendable, Equatable {
    /// Token width (`hidden_size`).
    public var hiddenSize = 768
    /// Width of the MLP hidden layer (`intermediate_size`).
    public var intermediateSize = 3072
    /// Encoder layers (`num_hidden_layers`).
    public var numHiddenLayers = 12
    /// Attention heads (`num_attention_heads`).
    public var numAttentionHeads = 12
    /// Input channels (`num_channels`; 3, RGB).
    public var numChannels = 3
    /// Side of the square input images, in pixels.
    public var imageSize = 224
    /// Side of the square patches the patch embedding cuts the image into.
    public var patchSize = 32
    /// The MLP activation (`hidden_act`).
    public var activation = CLIPActivation.quickGelu
    /// Epsilon of every layer norm (`layer_norm_eps`).
    public var layerNormEps: Float = 1e-5

    enum CodingKeys: String, CodingKey {
        case hiddenSize = "hidden_size", intermediateSize = "intermediate_size", numHiddenLayers = "num_hidden_layers"
        case numAttentionHeads = "num_attention_heads", numChannels = "num_channels", imageSize = "image_size"
        case patchSize = "patch_size", activation = "hidden_act", layerNormEps = "layer_norm_eps"
    }

    /// transformers' defaults.
    public init() {}

    public init(from decoder: Decoder) throws {
        self.init()
        let c = try decoder.container(keyedBy: CodingKeys.self)
        hiddenSize = try c.decodeIfPresent(Int.self, forKey: .hiddenSize) ?? hiddenSize
        intermediateSize = try c.decodeIfPresent(Int.self, forKey: .intermediateSize) ?? intermediateSize
        numHiddenLayers = try c.decodeIfPresent(Int.self, forKey: .numHiddenLayers) ?? numHiddenLayers
        numAttentionHeads = try c.decodeIfPresent(Int.self, forKey: .numAttentionHeads) ?? numAttentionHeads
        numChannels = try c.decodeIfPresent(Int.self, forKey: .numChannels) ?? numChannels
        imageSize = try c.decodeIfPresent(Int.self, forKey: .imageSize) ?? imageSize
        patchSize = try c.decodeIfPresent(Int.self, forKey: .patchSize) ?? patchSize
        activation = try c.decodeIfPresent(CLIPActivation.self, forKey: .activation) ?? activation
        layerNormEps = try c.decodeIfPresent(Float.self, forKey: .layerNormEps) ?? layerNormEps
    }

    /// Reads and validates a `vision_config` given as its JSON dictionary; errors name `path`.
    public static func load(_ dictionary: [String: Any], path: String) throws -> CLIPVisionConfig {
        let c = try decodeConfig(CLIPVisionConfig.self, dictionary: dictionary, path: path)
        typealias R = ModelConfigRange
        try R.require(c.hiddenSize, in: 1...16_384, key: "hidden_size", file: path)
        try R.require(c.intermediateSize, in: 1...65_536, key: "intermediate_size", file: path)
        try R.require(c.numHiddenLayers, in: 1...128, key: "num_hidden_layers", file: path)
        try R.require(c.numAttentionHeads, in: 1...1024, key: "num_attention_heads", file: path)
        try R.require(c.numChannels, in: 3...3, key: "num_channels", file: path)
        try R.require(c.imageSize, in: 1...4096, key: "image_size", file: path)
        try R.require(c.patchSize, in: 1...c.imageSize, key: "patch_size", file: path)
        try R.require(Double(c.layerNormEps), above: 0, upTo: 1, key: "layer_norm_eps", file: path)
        try R.requireDivisible(c.hiddenSize, by: c.numAttentionHeads, what: "hidden_size", divisorKey: "num_attention_heads", file: path)
        return c
    }

    /// Patches per side: the patch convolution's stride is the patch size and it has no padding,
    /// so pixels past the last whole patch are ignored.
    public var gridSize: Int { imageSize / patchSize }

    /// The sizes of the transformer encoder.
    public var encoderGeometry: CLIPEncoderGeometry {
        CLIPEncoderGeometry(hiddenSize: hiddenSize, intermediateSize: intermediateSize, layers: numHiddenLayers,
                            heads: numAttentionHeads, layerNormEps: layerNormEps, activation: activation)
    }
}
