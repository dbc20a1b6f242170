import Foundation

/// The parts of a diffusers `UNet2DConditionModel` config that shape the graph.
///
/// Options that would change the graph in ways not implemented are refused by name in
/// ``validate(file:)`` rather than silently ignored.
public struct UNetConfig: Decodable, Sendable {
    public var inChannels: Int = 4
    public var outChannels: Int = 4
    public var blockOutChannels: [Int] = [320, 640, 1280, 1280]
    public var downBlockTypes: [String] = ["CrossAttnDownBlock2D", "CrossAttnDownBlock2D", "CrossAttnDownBlock2D", "DownBlock2D"]
    public var upBlockTypes: [String] = ["UpBlock2D", "CrossAttnUpBlock2D", "CrossAttnUpBlock2D", "CrossAttnUpBlock2D"]
    public var midBlockType: String? = "UNetMidBlock2DCrossAttn"
    public var layersPerBlock: IntOrList = IntOrList(2)
    public var attentionHeadDim: IntOrList = IntOrList(8)
    public var numAttentionHeads: IntOrList?
    public var crossAttentionDim: IntOrList = IntOrList(1280)
    public var transformerLayersPerBlock: IntOrList = IntOrList(1)
    public var normNumGroups: Int = 32
    public var normEps: Float = 1e-5
    public var flipSinToCos: Bool = true
    public var freqShift: Float = 0
    public var useLinearProjection: Bool = false
    public var downsamplePadding: Int = 1
    public var midBlockScaleFactor: Float = 1
    public var convInKernel: Int = 3
    public var convOutKernel: Int = 3
    public var centerInputSample: Bool = false
    public var sampleSize: Int? = 64
    public var actFn: String = "silu"
    public var resnetOutScaleFactor: Float = 1
    public var timeEmbeddingDim: Int?

    // Options refused unless at their SD v1.x values.
    var addition_embed_type: String?
    var class_embed_type: String?
    var encoder_hid_dim: Int?
    var time_cond_proj_dim: Int?
    var resnet_time_scale_shift: String?
    var time_embedding_type: String?
    var dual_cross_attention: Bool?
    var only_cross_attention: OnlyCrossAttention?
    var attention_type: String?
    var reverse_transformer_layers_per_block: [[Int]]?
    var num_class_embeds: Int?
    var time_embedding_act_fn: String?
    var timestep_post_act: String?
    var resnet_skip_time_act: Bool?
    var mid_block_only_cross_attention: Bool?
    var cross_attention_norm: String?
    var class_embeddings_concat: Bool?

    /// `only_cross_attention` may be a bool or a per-block list.
    struct OnlyCrossAttention: Decodable, Sendable {
        var any: Bool
        init(from decoder: Decoder) throws {
            let c = try decoder.singleValueContainer()
            if let b = try? c.decode(Bool.self) { any = b } else { any = try c.decode([Bool].self).contains(true) }
        }
    }

    enum CodingKeys: String, CodingKey {
        case inChannels = "in_channels", outChannels = "out_channels", blockOutChannels = "block_out_channels"
        case downBlockTypes = "down_block_types", upBlockTypes = "up_block_types", midBlockType = "mid_block_type"
        case layersPerBlock = "layers_per_block", attentionHeadDim = "attention_head_dim"
        case numAttentionHeads = "num_attention_heads", crossAttentionDim = "cross_attention_dim"
        case transformerLayersPerBlock = "transformer_layers_per_block", normNumGroups = "norm_num_groups"
        case normEps = "norm_eps", flipSinToCos = "flip_sin_to_cos", freqShift = "freq_shift"
        case useLinearProjection = "use_linear_projection", downsamplePadding = "downsample_padding"
        case midBlockScaleFactor = "mid_block_scale_factor", convInKernel = "conv_in_kernel"
        case convOutKernel = "conv_out_kernel", centerInputSample = "center_input_sample"
        case sampleSize = "sample_size", actFn = "act_fn", resnetOutScaleFactor = "resnet_out_scale_factor"
        case timeEmbeddingDim = "time_embedding_dim"
        case addition_embed_type, class_embed_type, encoder_hid_dim, time_cond_proj_dim, resnet_time_scale_shift
        case time_embedding_type, dual_cross_attention, only_cross_attention, attention_type
        case reverse_transformer_layers_per_block, num_class_embeds, time_embedding_act_fn, timestep_post_act
        case resnet_skip_time_act, mid_block_only_cross_attention, cross_attention_norm, class_embeddings_concat
    }

    public init() {}

    public init(from decoder: Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        func opt<T: Decodable>(_ k: CodingKeys, _ d: T) throws -> T { try c.decodeIfPresent(T.self, forKey: k) ?? d }
        let base = UNetConfig()
        inChannels = try opt(.inChannels, base.inChannels)
        outChannels = try opt(.outChannels, base.outChannels)
        blockOutChannels = try opt(.blockOutChannels, base.blockOutChannels)
        downBlockTypes = try opt(.downBlockTypes, base.downBlockTypes)
        upBlockTypes = try opt(.upBlockTypes, base.upBlockTypes)
        midBlockType = try c.decodeIfPresent(String.self, forKey: .midBlockType) ?? (c.contains(.midBlockType) ? nil : base.midBlockType)
        layersPerBlock = try opt(.layersPerBlock, base.layersPerBlock)
        attentionHeadDim = try opt(.attentionHeadDim, base.attentionHeadDim)
        numAttentionHeads = try c.decodeIfPresent(IntOrList.self, forKey: .numAttentionHeads)
        crossAttentionDim = try opt(.crossAttentionDim, base.crossAttentionDim)
        transformerLayersPerBlock = try opt(.transformerLayersPerBlock, base.transformerLayersPerBlock)
        normNumGroups = try opt(.normNumGroups, base.normNumGroups)
        normEps = try opt(.normEps, base.normEps)
        flipSinToCos = try opt(.flipSinToCos, base.flipSinToCos)
        freqShift = try opt(.freqShift, base.freqShift)
        useLinearProjection = try opt(.useLinearProjection, base.useLinearProjection)
        downsamplePadding = try opt(.downsamplePadding, base.downsamplePadding)
        midBlockScaleFactor = try opt(.midBlockScaleFactor, base.midBlockScaleFactor)
        convInKernel = try opt(.convInKernel, base.convInKernel)
        convOutKernel = try opt(.convOutKernel, base.convOutKernel)
        centerInputSample = try opt(.centerInputSample, base.centerInputSample)
        sampleSize = try c.decodeIfPresent(Int.self, forKey: .sampleSize) ?? base.sampleSize
        actFn = try opt(.actFn, base.actFn)
        resnetOutScaleFactor = try opt(.resnetOutScaleFactor, base.resnetOutScaleFactor)
        timeEmbeddingDim = try c.decodeIfPresent(Int.self, forKey: .timeEmbeddingDim)
        addition_embed_type = try c.decodeIfPresent(String.self, forKey: .addition_embed_type)
        class_embed_type = try c.decodeIfPresent(String.self, forKey: .class_embed_type)
        encoder_hid_dim = try c.decodeIfPresent(Int.self, forKey: .encoder_hid_dim)
        time_cond_proj_dim = try c.decodeIfPresent(Int.self, forKey: .time_cond_proj_dim)
        resnet_time_scale_shift = try c.decodeIfPresent(String.self, forKey: .resnet_time_scale_shift)
        time_embedding_type = try c.decodeIfPresent(String.self, forKey: .time_embedding_type)
        dual_cross_attention = try c.decodeIfPresent(Bool.self, forKey: .dual_cross_attention)
        only_cross_attention = try c.decodeIfPresent(OnlyCrossAttention.self, forKey: .only_cross_attention)
        attention_type = try c.decodeIfPresent(String.self, forKey: .attention_type)
        reverse_transformer_layers_per_block = try c.decodeIfPresent([[Int]].self, forKey: .reverse_transformer_layers_per_block)
        num_class_embeds = try c.decodeIfPresent(Int.self, forKey: .num_class_embeds)
        time_embedding_act_fn = try c.decodeIfPresent(String.self, forKey: .time_embedding_act_fn)
        timestep_post_act = try c.decodeIfPresent(String.self, forKey: .timestep_post_act)
        resnet_skip_time_act = try c.decodeIfPresent(Bool.self, forKey: .resnet_skip_time_act)
        mid_block_only_cross_attention = try c.decodeIfPresent(Bool.self, forKey: .mid_block_only_cross_attention)
        cross_attention_norm = try c.decodeIfPresent(String.self, forKey: .cross_attention_norm)
        class_embeddings_concat = try c.decodeIfPresent(Bool.self, forKey: .class_embeddings_concat)
    }

    /// Reads and validates `unet/config.json`.
    public static func load(_ url: URL) throws -> UNetConfig {
        let config = try decodeConfig(UNetConfig.self, from: url)
        try config.validate(file: url.path)
        return config
    }

    /// Reads and validates a config given as the dictionary of its JSON keys; errors name `path`.
    public static func load(_ dictionary: [String: Any], path: String) throws -> UNetConfig {
        let config = try decodeConfig(UNetConfig.self, dictionary: dictionary, path: path)
        try config.validate(file: path)
        return config
    }

    /// Number of down (and up) blocks.
    public var blockCount: Int { blockOutChannels.count }

    /// Attention heads of the transformers in down block `i` (diffusers reads the historically
    /// misnamed `attention_head_dim` as the head count when `num_attention_heads` is absent).
    public func heads(block i: Int) -> Int { (numAttentionHeads ?? attentionHeadDim).value(at: i) }

    /// Channel width of the time embedding.
    public var timeEmbedDim: Int { timeEmbeddingDim ?? blockOutChannels[0] * 4 }

    /// Refuses options that change the graph and are not implemented, naming each.
    public func validate(file: String) throws {
        func refuse(_ option: String, _ reason: String) throws {
            throw ModelError.unsupported(file: file, option: option, reason: reason)
        }
        if let t = addition_embed_type {
            try refuse("addition_embed_type: \(t)", t == "text_time" ? "SDXL-style added conditioning is not supported" : "added embeddings are not supported")
        }
        if let t = class_embed_type { try refuse("class_embed_type: \(t)", "class-conditional UNets are not supported") }
        if num_class_embeds != nil { try refuse("num_class_embeds", "class-conditional UNets are not supported") }
        if encoder_hid_dim != nil { try refuse("encoder_hid_dim", "encoder hidden projections are not supported") }
        if time_cond_proj_dim != nil { try refuse("time_cond_proj_dim", "LCM time conditioning is not supported") }
        if let s = resnet_time_scale_shift, s != "default" { try refuse("resnet_time_scale_shift: \(s)", "only \"default\" is supported") }
        if let t = time_embedding_type, t != "positional" { try refuse("time_embedding_type: \(t)", "only \"positional\" is supported") }
        if dual_cross_attention == true { try refuse("dual_cross_attention: true", "only single cross-attention is supported") }
        if only_cross_attention?.any == true { try refuse("only_cross_attention: true", "self-attention is required") }
        if let a = attention_type, a != "default" { try refuse("attention_type: \(a)", "only \"default\" is supported") }
        if reverse_transformer_layers_per_block != nil { try refuse("reverse_transformer_layers_per_block", "not supported") }
        if let a = time_embedding_act_fn { try refuse("time_embedding_act_fn: \(a)", "not supported") }
        if let a = timestep_post_act { try refuse("timestep_post_act: \(a)", "not supported") }
        if resnet_skip_time_act == true { try refuse("resnet_skip_time_act: true", "not supported") }
        if let n = cross_attention_norm { try refuse("cross_attention_norm: \(n)", "not supported") }
        if class_embeddings_concat == true { try refuse("class_embeddings_concat: true", "not supported") }
        if actFn != "silu" && actFn != "swish" { try refuse("act_fn: \(actFn)", "only silu is supported") }
        let known = ["CrossAttnDownBlock2D", "DownBlock2D"]
        for t in downBlockTypes where !known.contains(t) { try refuse("down block type \(t)", "known: \(known.joined(separator: ", "))") }
        let knownUp = ["CrossAttnUpBlock2D", "UpBlock2D"]
        for t in upBlockTypes where !knownUp.contains(t) { try refuse("up block type \(t)", "known: \(knownUp.joined(separator: ", "))") }
        if let m = midBlockType, m != "UNetMidBlock2DCrossAttn" { try refuse("mid_block_type: \(m)", "known: UNetMidBlock2DCrossAttn") }
        let n = blockCount
        guard n > 0, downBlockTypes.count == n, upBlockTypes.count == n else {
            throw ModelError.invalidConfig(file: file, problem: "block_out_channels, down_block_types and up_block_types must have the same length")
        }
        try layersPerBlock.validate(count: n, key: "layers_per_block", file: file)
        try attentionHeadDim.validate(count: n, key: "attention_head_dim", file: file)
        try numAttentionHeads?.validate(count: n, key: "num_attention_heads", file: file)
        try crossAttentionDim.validate(count: n, key: "cross_attention_dim", file: file)
        try transformerLayersPerBlock.validate(count: n, key: "transformer_layers_per_block", file: file)
        try validateRanges(file: file)
        let headsKey = numAttentionHeads == nil ? "attention_head_dim" : "num_attention_heads"
        for (i, ch) in blockOutChannels.enumerated() {
            try ModelConfigRange.requireDivisible(ch, by: normNumGroups, what: "block_out_channels[\(i)]", divisorKey: "norm_num_groups", file: file)
            try ModelConfigRange.requireDivisible(ch, by: heads(block: i), what: "block_out_channels[\(i)]", divisorKey: headsKey, file: file)
        }
        if convInKernel % 2 == 0 || convOutKernel % 2 == 0 {
            throw ModelError.invalidConfig(file: file, problem: "conv_in_kernel and conv_out_kernel must be odd")
        }
    }

    /// The sizes every value must lie in: positive, and small enough that nothing sized from
    /// them allocates without bound (SD v1.x sits well inside each range).
    func validateRanges(file: String) throws {
        typealias R = ModelConfigRange
        try R.require(blockOutChannels, count: 1...8, in: 1...16_384, key: "block_out_channels", file: file)
        try R.require(inChannels, in: 1...64, key: "in_channels", file: file)
        try R.require(outChannels, in: 1...64, key: "out_channels", file: file)
        try R.require(layersPerBlock, in: 1...32, key: "layers_per_block", file: file)
        try R.require(attentionHeadDim, in: 1...1024, key: "attention_head_dim", file: file)
        if let numAttentionHeads { try R.require(numAttentionHeads, in: 1...1024, key: "num_attention_heads", file: file) }
        try R.require(crossAttentionDim, in: 1...16_384, key: "cross_attention_dim", file: file)
        try R.require(transformerLayersPerBlock, in: 1...32, key: "transformer_layers_per_block", file: file)
        try R.require(normNumGroups, in: 1...1024, key: "norm_num_groups", file: file)
        try R.require(Double(normEps), above: 0, upTo: 1, key: "norm_eps", file: file)
        try R.require(convInKernel, in: 1...15, key: "conv_in_kernel", file: file)
        try R.require(convOutKernel, in: 1...15, key: "conv_out_kernel", file: file)
        try R.require(downsamplePadding, in: 0...7, key: "downsample_padding", file: file)
        if let sampleSize { try R.require(sampleSize, in: 1...1024, key: "sample_size", file: file) }
        if let timeEmbeddingDim { try R.require(timeEmbeddingDim, in: 1...65_536, key: "time_embedding_dim", file: file) }
        try R.require(Double(freqShift), above: -1000, lowerOpen: false, upTo: 1000, key: "freq_shift", file: file)
        try R.require(Double(midBlockScaleFactor), above: 0, upTo: 1000, key: "mid_block_scale_factor", file: file)
        try R.require(Double(resnetOutScaleFactor), above: 0, upTo: 1000, key: "resnet_out_scale_factor", file: file)
    }
}
