import Foundation

/// A transformers `CLIPTextModel` config.
public struct CLIPTextConfig: Decodable, Sendable {
    public var vocabSize: Int
    public var hiddenSize: Int
    public var intermediateSize: Int
    public var numHiddenLayers: Int
    public var numAttentionHeads: Int
    public var maxPositionEmbeddings: Int
    /// The MLP activation (`hidden_act`).
    public var activation: CLIPActivation
    public var layerNormEps: Float

    enum CodingKeys: String, CodingKey {
        case vocabSize = "vocab_size", hiddenSize = "hidden_size", intermediateSize = "intermediate_size"
        case numHiddenLayers = "num_hidden_layers", numAttentionHeads = "num_attention_heads"
        case maxPositionEmbeddings = "max_position_embeddings", hiddenAct = "hidden_act", layerNormEps = "layer_norm_eps"
    }

    public init(from decoder: Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        vocabSize = try c.decodeIfPresent(Int.self, forKey: .vocabSize) ?? 49408
        hiddenSize = try c.decodeIfPresent(Int.self, forKey: .hiddenSize) ?? 512
        intermediateSize = try c.decodeIfPresent(Int.self, forKey: .intermediateSize) ?? 2048
        numHiddenLayers = try c.decodeIfPresent(Int.self, forKey: .numHiddenLayers) ?? 12
        numAttentionHeads = try c.decodeIfPresent(Int.self, forKey: .numAttentionHeads) ?? 8
        maxPositionEmbeddings = try c.decodeIfPresent(Int.self, forKey: .maxPositionEmbeddings) ?? 77
        activation = try c.decodeIfPresent(CLIPActivation.self, forKey: .hiddenAct) ?? .quickGelu
        layerNormEps = try c.decodeIfPresent(Float.self, forKey: .layerNormEps) ?? 1e-5
    }

    /// Reads and validates `text_encoder/config.json`.
    public static func load(_ url: URL) throws -> CLIPTextConfig {
        try validated(try decodeConfig(CLIPTextConfig.self, from: url), path: url.path)
    }

    /// Reads and validates a config given as the dictionary of its JSON keys; errors name `path`.
    public static func load(_ dictionary: [String: Any], path: String) throws -> CLIPTextConfig {
        try validated(try decodeConfig(CLIPTextConfig.self, dictionary: dictionary, path: path), path: path)
    }

    static func validated(_ c: CLIPTextConfig, path: String) throws -> CLIPTextConfig {
        let url = URL(fileURLWithPath: path)
        try c.validateRanges(file: url.path)
        try ModelConfigRange.requireDivisible(c.hiddenSize, by: c.numAttentionHeads, what: "hidden_size", divisorKey: "num_attention_heads", file: url.path)
        return c
    }

    /// `hidden_act` as written in the config.
    public var hiddenAct: String { activation.rawValue }

    /// The sizes of the transformer encoder.
    public var encoderGeometry: CLIPEncoderGeometry {
        CLIPEncoderGeometry(hiddenSize: hiddenSize, intermediateSize: intermediateSize, layers: numHiddenLayers,
                            heads: numAttentionHeads, layerNormEps: layerNormEps, activation: activation)
    }

    /// Positive sizes small enough that nothing sized from them allocates without bound.
    func validateRanges(file: String) throws {
        typealias R = ModelConfigRange
        try R.require(vocabSize, in: 1...1_000_000, key: "vocab_size", file: file)
        try R.require(hiddenSize, in: 1...16_384, key: "hidden_size", file: file)
        try R.require(intermediateSize, in: 1...65_536, key: "intermediate_size", file: file)
        try R.require(numHiddenLayers, in: 1...128, key: "num_hidden_layers", file: file)
        try R.require(numAttentionHeads, in: 1...1024, key: "num_attention_heads", file: file)
        try R.require(maxPositionEmbeddings, in: 1...8192, key: "max_position_embeddings", file: file)
        try R.require(Double(layerNormEps), above: 0, upTo: 1, key: "layer_norm_eps", file: file)
    }
}

/// A diffusers `AutoencoderKL` config.
public struct VAEConfig: Decodable, Sendable {
    public var inChannels: Int = 3
    public var outChannels: Int = 3
    public var latentChannels: Int = 4
    public var blockOutChannels: [Int] = [128, 256, 512, 512]
    public var downBlockTypes: [String] = []
    public var upBlockTypes: [String] = []
    public var layersPerBlock: Int = 2
    public var normNumGroups: Int = 32
    public var scalingFactor: Float = 0.18215
    public var useQuantConv: Bool = true
    public var usePostQuantConv: Bool = true
    public var midBlockAddAttention: Bool = true
    public var actFn: String = "silu"
    var shiftFactor: Float?
    var latentsMean: [Float]?

    enum CodingKeys: String, CodingKey {
        case inChannels = "in_channels", outChannels = "out_channels", latentChannels = "latent_channels"
        case blockOutChannels = "block_out_channels", downBlockTypes = "down_block_types", upBlockTypes = "up_block_types"
        case layersPerBlock = "layers_per_block", normNumGroups = "norm_num_groups", scalingFactor = "scaling_factor"
        case useQuantConv = "use_quant_conv", usePostQuantConv = "use_post_quant_conv"
        case midBlockAddAttention = "mid_block_add_attention", actFn = "act_fn", shiftFactor = "shift_factor"
        case latentsMean = "latents_mean"
    }

    public init(from decoder: Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        let d = VAEConfig.defaults
        inChannels = try c.decodeIfPresent(Int.self, forKey: .inChannels) ?? d.inChannels
        outChannels = try c.decodeIfPresent(Int.self, forKey: .outChannels) ?? d.outChannels
        latentChannels = try c.decodeIfPresent(Int.self, forKey: .latentChannels) ?? d.latentChannels
        blockOutChannels = try c.decodeIfPresent([Int].self, forKey: .blockOutChannels) ?? d.blockOutChannels
        downBlockTypes = try c.decodeIfPresent([String].self, forKey: .downBlockTypes) ?? Array(repeating: "DownEncoderBlock2D", count: blockOutChannels.count)
        upBlockTypes = try c.decodeIfPresent([String].self, forKey: .upBlockTypes) ?? Array(repeating: "UpDecoderBlock2D", count: blockOutChannels.count)
        layersPerBlock = try c.decodeIfPresent(Int.self, forKey: .layersPerBlock) ?? d.layersPerBlock
        normNumGroups = try c.decodeIfPresent(Int.self, forKey: .normNumGroups) ?? d.normNumGroups
        scalingFactor = try c.decodeIfPresent(Float.self, forKey: .scalingFactor) ?? d.scalingFactor
        useQuantConv = try c.decodeIfPresent(Bool.self, forKey: .useQuantConv) ?? true
        usePostQuantConv = try c.decodeIfPresent(Bool.self, forKey: .usePostQuantConv) ?? true
        midBlockAddAttention = try c.decodeIfPresent(Bool.self, forKey: .midBlockAddAttention) ?? true
        actFn = try c.decodeIfPresent(String.self, forKey: .actFn) ?? "silu"
        shiftFactor = try c.decodeIfPresent(Float.self, forKey: .shiftFactor)
        latentsMean = try c.decodeIfPresent([Float].self, forKey: .latentsMean)
    }

    private init() {}
    private static let defaults = VAEConfig()

    /// Reads and validates `vae/config.json`.
    public static func load(_ url: URL) throws -> VAEConfig {
        try validated(try decodeConfig(VAEConfig.self, from: url), path: url.path)
    }

    /// Reads and validates a config given as the dictionary of its JSON keys; errors name `path`.
    public static func load(_ dictionary: [String: Any], path: String) throws -> VAEConfig {
        try validated(try decodeConfig(VAEConfig.self, dictionary: dictionary, path: path), path: path)
    }

    static func validated(_ c: VAEConfig, path: String) throws -> VAEConfig {
        let url = URL(fileURLWithPath: path)
        for t in c.downBlockTypes where t != "DownEncoderBlock2D" {
            throw ModelError.unsupported(file: url.path, option: "down block type \(t)", reason: "known: DownEncoderBlock2D")
        }
        for t in c.upBlockTypes where t != "UpDecoderBlock2D" {
            throw ModelError.unsupported(file: url.path, option: "up block type \(t)", reason: "known: UpDecoderBlock2D")
        }
        if c.shiftFactor != nil { throw ModelError.unsupported(file: url.path, option: "shift_factor", reason: "not an SD v1.x VAE") }
        if c.latentsMean != nil { throw ModelError.unsupported(file: url.path, option: "latents_mean", reason: "not an SD v1.x VAE") }
        if c.actFn != "silu" { throw ModelError.unsupported(file: url.path, option: "act_fn: \(c.actFn)", reason: "only silu") }
        guard c.downBlockTypes.count == c.blockOutChannels.count, c.upBlockTypes.count == c.blockOutChannels.count else {
            throw ModelError.invalidConfig(file: url.path, problem: "block types and block_out_channels differ in length")
        }
        try c.validateRanges(file: url.path)
        return c
    }

    /// Positive sizes in bounds, group norms that divide every width, a usable scaling factor.
    func validateRanges(file: String) throws {
        typealias R = ModelConfigRange
        try R.require(blockOutChannels, count: 1...8, in: 1...16_384, key: "block_out_channels", file: file)
        try R.require(inChannels, in: 1...64, key: "in_channels", file: file)
        try R.require(outChannels, in: 1...64, key: "out_channels", file: file)
        try R.require(latentChannels, in: 1...64, key: "latent_channels", file: file)
        try R.require(layersPerBlock, in: 1...32, key: "layers_per_block", file: file)
        try R.require(normNumGroups, in: 1...1024, key: "norm_num_groups", file: file)
        for (i, ch) in blockOutChannels.enumerated() {
            try R.requireDivisible(ch, by: normNumGroups, what: "block_out_channels[\(i)]", divisorKey: "norm_num_groups", file: file)
        }
        try R.require(Double(scalingFactor), above: 0, upTo: 1000, key: "scaling_factor", file: file)
    }

    /// Pixels per latent cell along each side.
    public var downscale: Int { 1 << (blockOutChannels.count - 1) }
}
