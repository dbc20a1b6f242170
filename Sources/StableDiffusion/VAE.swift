import TensorEngine

/// diffusers' `AutoencoderKL`: the decoder turns latents into RGB images in [-1, 1]; the encoder
/// maps images to the mean of the latent distribution.
public struct AutoencoderKL {
    public let config: VAEConfig
    let postQuantConv: Conv2d?
    let decoder: VAEDecoder
    let quantConv: Conv2d?
    let encoder: VAEEncoder?

    /// Reads the autoencoder at `w`; the encoder is optional (not needed to generate).
    public init(config: VAEConfig, weights w: Weights, loadEncoder: Bool = true) throws {
        self.config = config
        let z = config.latentChannels
        postQuantConv = config.usePostQuantConv ? try Conv2d(w["post_quant_conv"], in: z, out: z, kernel: 1) : nil
        decoder = try VAEDecoder(w["decoder"], config: config)
        if loadEncoder {
            quantConv = config.useQuantConv ? try Conv2d(w["quant_conv"], in: 2 * z, out: 2 * z, kernel: 1) : nil
            encoder = try VAEEncoder(w["encoder"], config: config)
        } else {
            quantConv = nil
            encoder = nil
        }
    }

    /// Images [B, 3, H, W] in about [-1, 1] from latents already divided by the scaling factor.
    public func decode(_ z: Tensor) -> Tensor {
        decoder(postQuantConv.map { $0(z) } ?? z)
    }

    /// The latent mean [B, C, H/f, W/f] for images in [-1, 1] (not yet multiplied by the scaling factor).
    public func encode(_ image: Tensor) -> Tensor {
        guard let encoder else { preconditionFailure("the VAE was loaded without its encoder") }
        let moments = quantConv.map { $0(encoder(image)) } ?? encoder(image)
        return moments.slice(axis: 1, range: 0..<config.latentChannels)
    }
}

/// The VAE's mid block: resnet, single-head spatial self-attention, resnet.
struct VAEMidBlock {
    let resnet1: ResnetBlock2D, resnet2: ResnetBlock2D
    let attention: VAEAttention?

    init(_ w: Weights, channels: Int, groups: Int, addAttention: Bool) throws {
        resnet1 = try ResnetBlock2D(w["resnets"][0], in: channels, out: channels, tembChannels: nil, groups: groups, eps: 1e-6)
        attention = addAttention ? try VAEAttention(w["attentions"][0], channels: channels, groups: groups) : nil
        resnet2 = try ResnetBlock2D(w["resnets"][1], in: channels, out: channels, tembChannels: nil, groups: groups, eps: 1e-6)
    }

    func callAsFunction(_ x: Tensor) -> Tensor {
        var h = resnet1(x, temb: nil)
        if let attention { h = attention(h) }
        return resnet2(h, temb: nil)
    }
}

/// Single-head self-attention over the pixels of a feature map, with group norm and residual.
/// Reads the current layout (`to_q`, `to_k`, `to_v`, `to_out.0`) or the pre-0.14 diffusers one
/// (`query`, `key`, `value`, `proj_attn`) that older SD v1.x VAE checkpoints still use.
struct VAEAttention {
    let norm: GroupNorm
    let q: Linear, k: Linear, v: Linear, out: Linear

    init(_ w: Weights, channels c: Int, groups: Int) throws {
        norm = try GroupNorm(w["group_norm"], channels: c, groups: groups, eps: 1e-6)
        if w.has("to_q.weight") {
            q = try Linear(w["to_q"], in: c, out: c)
            k = try Linear(w["to_k"], in: c, out: c)
            v = try Linear(w["to_v"], in: c, out: c)
            out = try Linear(w["to_out"][0], in: c, out: c)
        } else {
            q = try Linear(w["query"], in: c, out: c)
            k = try Linear(w["key"], in: c, out: c)
            v = try Linear(w["value"], in: c, out: c)
            out = try Linear(w["proj_attn"], in: c, out: c)
        }
    }

    func callAsFunction(_ x: Tensor) -> Tensor {
        let (n, c, h, wd) = (x.shape[0], x.shape[1], x.shape[2], x.shape[3])
        let tokens = norm(x).reshaped([n, c, h * wd]).permuted([0, 2, 1])
        let a = Tensor.attention(query: q(tokens), key: k(tokens), value: v(tokens), heads: 1)
        return out(a).permuted([0, 2, 1]).reshaped([n, c, h, wd]) + x
    }
}

/// The VAE decoder: conv_in, mid block, up blocks (resnets and nearest upsampling), norm, conv_out.
struct VAEDecoder {
    let convIn: Conv2d
    let mid: VAEMidBlock
    let blocks: [(resnets: [ResnetBlock2D], upsampler: Upsample2D?)]
    let normOut: GroupNorm
    let convOut: Conv2d

    init(_ w: Weights, config c: VAEConfig) throws {
        let rev = Array(c.blockOutChannels.reversed()), g = c.normNumGroups
        convIn = try Conv2d(w["conv_in"], in: c.latentChannels, out: rev[0], kernel: 3, padding: 1)
        mid = try VAEMidBlock(w["mid_block"], channels: rev[0], groups: g, addAttention: c.midBlockAddAttention)
        var built: [(resnets: [ResnetBlock2D], upsampler: Upsample2D?)] = []
        var previous = rev[0]
        for i in rev.indices {
            let b = w["up_blocks"][i]
            let resnets = try (0...c.layersPerBlock).map { j in
                try ResnetBlock2D(b["resnets"][j], in: j == 0 ? previous : rev[i], out: rev[i], tembChannels: nil, groups: g, eps: 1e-6)
            }
            let up = i < rev.count - 1 ? try Upsample2D(b["upsamplers"][0], channels: rev[i]) : nil
            built.append((resnets, up))
            previous = rev[i]
        }
        blocks = built
        normOut = try GroupNorm(w["conv_norm_out"], channels: rev[rev.count - 1], groups: g, eps: 1e-6)
        convOut = try Conv2d(w["conv_out"], in: rev[rev.count - 1], out: c.outChannels, kernel: 3, padding: 1)
    }

    func callAsFunction(_ z: Tensor) -> Tensor {
        var h = mid(convIn(z))
        for block in blocks {
            for r in block.resnets { h = r(h, temb: nil) }
            if let up = block.upsampler { h = up(h) }
        }
        return convOut(normOut(h).silu())
    }
}

/// The VAE encoder: conv_in, down blocks (resnets and asymmetric strided downsampling), mid
/// block, norm, conv_out to mean and log-variance.
struct VAEEncoder {
    let convIn: Conv2d
    let blocks: [(resnets: [ResnetBlock2D], downsampler: Downsample2D?)]
    let mid: VAEMidBlock
    let normOut: GroupNorm
    let convOut: Conv2d

    init(_ w: Weights, config c: VAEConfig) throws {
        let ch = c.blockOutChannels, g = c.normNumGroups
        convIn = try Conv2d(w["conv_in"], in: c.inChannels, out: ch[0], kernel: 3, padding: 1)
        var built: [(resnets: [ResnetBlock2D], downsampler: Downsample2D?)] = []
        var previous = ch[0]
        for i in ch.indices {
            let b = w["down_blocks"][i]
            let resnets = try (0..<c.layersPerBlock).map { j in
                try ResnetBlock2D(b["resnets"][j], in: j == 0 ? previous : ch[i], out: ch[i], tembChannels: nil, groups: g, eps: 1e-6)
            }
            let down = i < ch.count - 1 ? try Downsample2D(b["downsamplers"][0], channels: ch[i], padding: 0) : nil
            built.append((resnets, down))
            previous = ch[i]
        }
        blocks = built
        mid = try VAEMidBlock(w["mid_block"], channels: ch[ch.count - 1], groups: g, addAttention: c.midBlockAddAttention)
        normOut = try GroupNorm(w["conv_norm_out"], channels: ch[ch.count - 1], groups: g, eps: 1e-6)
        convOut = try Conv2d(w["conv_out"], in: ch[ch.count - 1], out: 2 * c.latentChannels, kernel: 3, padding: 1)
    }

    func callAsFunction(_ x: Tensor) -> Tensor {
        var h = convIn(x)
        for block in blocks {
            for r in block.resnets { h = r(h, temb: nil) }
            if let down = block.downsampler { h = down(h) }
        }
        return convOut(normOut(mid(h)).silu())
    }
}
