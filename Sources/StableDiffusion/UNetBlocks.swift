import TensorEngine

/// Shared settings every UNet block reads from the config.
struct BlockSettings {
    let tembChannels: Int
    let groups: Int
    let eps: Float
    let outputScale: Float
    let linearProjection: Bool
}

/// `CrossAttnDownBlock2D` (with attentions) or `DownBlock2D` (without): resnets, each optionally
/// followed by a transformer, then an optional strided downsampler.
struct DownBlock {
    let resnets: [ResnetBlock2D]
    let attentions: [Transformer2D]
    let downsampler: Downsample2D?

    init(_ w: Weights, in nIn: Int, out nOut: Int, layers: Int, crossAttention: (heads: Int, contextDim: Int, depth: Int)?,
         addDownsample: Bool, downsamplePadding: Int, settings s: BlockSettings) throws {
        resnets = try (0..<layers).map { i in
            try ResnetBlock2D(w["resnets"][i], in: i == 0 ? nIn : nOut, out: nOut, tembChannels: s.tembChannels,
                              groups: s.groups, eps: s.eps, outputScale: s.outputScale)
        }
        if let ca = crossAttention {
            attentions = try (0..<layers).map { i in
                try Transformer2D(w["attentions"][i], channels: nOut, heads: ca.heads, contextDim: ca.contextDim,
                                  layers: ca.depth, groups: s.groups, linearProjection: s.linearProjection)
            }
        } else {
            attentions = []
        }
        downsampler = addDownsample ? try Downsample2D(w["downsamplers"][0], channels: nOut, padding: downsamplePadding) : nil
    }

    /// Returns the block output and the skip states it contributes (one per layer, plus the downsampled one).
    func callAsFunction(_ x: Tensor, temb: Tensor, context: Tensor, adapter: LayerAdapter?) -> (Tensor, [Tensor]) {
        var h = x
        var states: [Tensor] = []
        for (i, resnet) in resnets.enumerated() {
            h = resnet(h, temb: temb)
            if i < attentions.count { h = attentions[i](h, context: context, adapter: adapter) }
            states.append(h)
        }
        if let downsampler {
            h = downsampler(h)
            states.append(h)
        }
        return (h, states)
    }
}

/// `UNetMidBlock2DCrossAttn`: a resnet, then (transformer, resnet) pairs.
struct MidBlock {
    let resnets: [ResnetBlock2D]
    let attentions: [Transformer2D]

    init(_ w: Weights, channels: Int, heads: Int, contextDim: Int, depth: Int, settings s: BlockSettings, outputScale: Float) throws {
        resnets = try (0..<2).map { i in
            try ResnetBlock2D(w["resnets"][i], in: channels, out: channels, tembChannels: s.tembChannels,
                              groups: s.groups, eps: s.eps, outputScale: outputScale)
        }
        attentions = [try Transformer2D(w["attentions"][0], channels: channels, heads: heads, contextDim: contextDim,
                                        layers: depth, groups: s.groups, linearProjection: s.linearProjection)]
    }

    func callAsFunction(_ x: Tensor, temb: Tensor, context: Tensor, adapter: LayerAdapter?) -> Tensor {
        var h = resnets[0](x, temb: temb)
        for (i, attention) in attentions.enumerated() {
            h = attention(h, context: context, adapter: adapter)
            h = resnets[i + 1](h, temb: temb)
        }
        return h
    }
}

/// `CrossAttnUpBlock2D` or `UpBlock2D`: each resnet takes the running state concatenated with one
/// skip state (last in, first out), optionally followed by a transformer; then an optional upsampler.
struct UpBlock {
    let resnets: [ResnetBlock2D]
    let attentions: [Transformer2D]
    let upsampler: Upsample2D?

    /// `skipChannels[j]` is the channel count of the skip state resnet `j` consumes.
    init(_ w: Weights, previous: Int, out nOut: Int, skipChannels: [Int], crossAttention: (heads: Int, contextDim: Int, depth: Int)?,
         addUpsample: Bool, settings s: BlockSettings) throws {
        resnets = try skipChannels.enumerated().map { j, skip in
            try ResnetBlock2D(w["resnets"][j], in: (j == 0 ? previous : nOut) + skip, out: nOut, tembChannels: s.tembChannels,
                              groups: s.groups, eps: s.eps, outputScale: s.outputScale)
        }
        if let ca = crossAttention {
            attentions = try skipChannels.indices.map { j in
                try Transformer2D(w["attentions"][j], channels: nOut, heads: ca.heads, contextDim: ca.contextDim,
                                  layers: ca.depth, groups: s.groups, linearProjection: s.linearProjection)
            }
        } else {
            attentions = []
        }
        upsampler = addUpsample ? try Upsample2D(w["upsamplers"][0], channels: nOut) : nil
    }

    func callAsFunction(_ x: Tensor, skips: inout [Tensor], temb: Tensor, context: Tensor, adapter: LayerAdapter?) -> Tensor {
        var h = x
        for (j, resnet) in resnets.enumerated() {
            let skip = skips.removeLast()
            h = resnet(Tensor.concat([h, skip], axis: 1), temb: temb)
            if j < attentions.count { h = attentions[j](h, context: context, adapter: adapter) }
        }
        if let upsampler { h = upsampler(h) }
        return h
    }
}
