import TensorEngine

/// diffusers' `Attention`: multi-head attention with projections `to_q`, `to_k`, `to_v` and
/// `to_out.0`. Self-attention when no context is given, cross-attention otherwise.
public struct Attention {
    let toQ: Linear, toK: Linear, toV: Linear, toOut: Linear
    public let heads: Int

    /// Reads the module at `w`. `contextDim` is the width of the cross-attention context (the
    /// query width for self-attention). UNet projections have no q/k/v bias; the VAE's do.
    public init(_ w: Weights, queryDim: Int, contextDim: Int, heads: Int, headDim: Int, qkvBias: Bool = false) throws {
        let inner = heads * headDim
        toQ = try Linear(w["to_q"], in: queryDim, out: inner, bias: qkvBias)
        toK = try Linear(w["to_k"], in: contextDim, out: inner, bias: qkvBias)
        toV = try Linear(w["to_v"], in: contextDim, out: inner, bias: qkvBias)
        toOut = try Linear(w["to_out"][0], in: inner, out: queryDim)
        self.heads = heads
    }

    /// Attention over tokens: `x` [B, T, C], `context` [B, S, D] or nil.
    public func callAsFunction(_ x: Tensor, context: Tensor? = nil, adapter: LayerAdapter? = nil) -> Tensor {
        let ctx = context ?? x
        let q = toQ(x, adapter: adapter), k = toK(ctx, adapter: adapter), v = toV(ctx, adapter: adapter)
        return toOut(Tensor.attention(query: q, key: k, value: v, heads: heads), adapter: adapter)
    }
}

/// The GEGLU feed-forward of a transformer block: `net.0.proj` to twice the inner width, the
/// gated GELU, then `net.2` back to the model width.
public struct FeedForward {
    let proj: Linear, out: Linear

    public init(_ w: Weights, dim: Int, mult: Int = 4) throws {
        let inner = dim * mult
        proj = try Linear(w["net"][0]["proj"], in: dim, out: inner * 2)
        out = try Linear(w["net"][2], in: inner, out: dim)
    }

    public func callAsFunction(_ x: Tensor, adapter: LayerAdapter? = nil) -> Tensor {
        out(proj(x, adapter: adapter).geglu(), adapter: adapter)
    }
}

/// diffusers' `BasicTransformerBlock`: self-attention, cross-attention and feed-forward, each
/// after a layer norm and with a residual connection.
public struct BasicTransformerBlock {
    let norm1: LayerNorm, attn1: Attention
    let norm2: LayerNorm, attn2: Attention
    let norm3: LayerNorm, ff: FeedForward

    public init(_ w: Weights, dim: Int, heads: Int, contextDim: Int) throws {
        let headDim = dim / heads
        norm1 = try LayerNorm(w["norm1"], dim: dim, eps: 1e-5)
        attn1 = try Attention(w["attn1"], queryDim: dim, contextDim: dim, heads: heads, headDim: headDim)
        norm2 = try LayerNorm(w["norm2"], dim: dim, eps: 1e-5)
        attn2 = try Attention(w["attn2"], queryDim: dim, contextDim: contextDim, heads: heads, headDim: headDim)
        norm3 = try LayerNorm(w["norm3"], dim: dim, eps: 1e-5)
        ff = try FeedForward(w["ff"], dim: dim)
    }

    public func callAsFunction(_ x: Tensor, context: Tensor, adapter: LayerAdapter?) -> Tensor {
        var h = attn1(norm1(x), adapter: adapter) + x
        h = attn2(norm2(h), context: context, adapter: adapter) + h
        return ff(norm3(h), adapter: adapter) + h
    }
}

/// diffusers' `Transformer2DModel` on an NCHW feature map: group norm, `proj_in` (1x1 conv, or a
/// linear when `use_linear_projection`), transformer blocks over the H*W tokens, `proj_out`, and a
/// residual connection. This is where membranes sit.
public struct Transformer2D {
    let norm: GroupNorm
    let projIn: Conv2d?, projInLinear: Linear?
    let blocks: [BasicTransformerBlock]
    let projOut: Conv2d?, projOutLinear: Linear?

    public init(_ w: Weights, channels: Int, heads: Int, contextDim: Int, layers: Int, groups: Int, linearProjection: Bool) throws {
        norm = try GroupNorm(w["norm"], channels: channels, groups: groups, eps: 1e-6)
        if linearProjection {
            projInLinear = try Linear(w["proj_in"], in: channels, out: channels)
            projOutLinear = try Linear(w["proj_out"], in: channels, out: channels)
            projIn = nil; projOut = nil
        } else {
            projIn = try Conv2d(w["proj_in"], in: channels, out: channels, kernel: 1)
            projOut = try Conv2d(w["proj_out"], in: channels, out: channels, kernel: 1)
            projInLinear = nil; projOutLinear = nil
        }
        blocks = try (0..<layers).map { try BasicTransformerBlock(w["transformer_blocks"][$0], dim: channels, heads: heads, contextDim: contextDim) }
    }

    public func callAsFunction(_ x: Tensor, context: Tensor, adapter: LayerAdapter?) -> Tensor {
        let (n, c, hgt, wid) = (x.shape[0], x.shape[1], x.shape[2], x.shape[3])
        var h = norm(x)
        if let projIn {
            h = projIn(h, adapter: adapter).permuted([0, 2, 3, 1]).reshaped([n, hgt * wid, c])
        } else if let projInLinear {
            h = projInLinear(h.permuted([0, 2, 3, 1]).reshaped([n, hgt * wid, c]), adapter: adapter)
        }
        for block in blocks { h = block(h, context: context, adapter: adapter) }
        if let projOut {
            h = projOut(h.reshaped([n, hgt, wid, c]).permuted([0, 3, 1, 2]), adapter: adapter)
        } else if let projOutLinear {
            h = projOutLinear(h, adapter: adapter).reshaped([n, hgt, wid, c]).permuted([0, 3, 1, 2])
        }
        return h + x
    }
}
