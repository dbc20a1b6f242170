import TensorEngine

/// diffusers' `ResnetBlock2D`: two norm-SiLU-conv stages, an optional time-embedding add between
/// them, and a 1x1 shortcut when the channel count changes.
public struct ResnetBlock2D {
    let norm1: GroupNorm, conv1: Conv2d
    let timeEmbProj: Linear?
    let norm2: GroupNorm, conv2: Conv2d
    let shortcut: Conv2d?
    let outputScale: Float

    /// Reads the block at `w`. `tembChannels` is nil for VAE blocks, which take no time embedding.
    public init(_ w: Weights, in nIn: Int, out nOut: Int, tembChannels: Int?, groups: Int, eps: Float, outputScale: Float = 1) throws {
        norm1 = try GroupNorm(w["norm1"], channels: nIn, groups: groups, eps: eps)
        conv1 = try Conv2d(w["conv1"], in: nIn, out: nOut, kernel: 3, padding: 1)
        timeEmbProj = try tembChannels.map { try Linear(w["time_emb_proj"], in: $0, out: nOut) }
        norm2 = try GroupNorm(w["norm2"], channels: nOut, groups: groups, eps: eps)
        conv2 = try Conv2d(w["conv2"], in: nOut, out: nOut, kernel: 3, padding: 1)
        shortcut = nIn == nOut ? nil : try Conv2d(w["conv_shortcut"], in: nIn, out: nOut, kernel: 1)
        self.outputScale = outputScale
    }

    /// The block applied to NCHW `x`; `temb` is [N, tembChannels] (already shared by all blocks).
    public func callAsFunction(_ x: Tensor, temb: Tensor?) -> Tensor {
        var h = conv1(norm1(x).silu())
        if let proj = timeEmbProj, let temb {
            let t = proj(temb.silu())
            h = h + t.reshaped([t.shape[0], t.shape[1], 1, 1])
        }
        h = conv2(norm2(h).silu())
        let skip = shortcut.map { $0(x) } ?? x
        let out = skip + h
        return outputScale == 1 ? out : out * (1 / outputScale)
    }
}

/// A strided 3x3 convolution halving the resolution (`downsamplers.0.conv`).
public struct Downsample2D {
    let conv: Conv2d
    /// Extra zero padding on the bottom and right only (the VAE encoder's asymmetric padding).
    let padBottomRight: Bool

    public init(_ w: Weights, channels: Int, padding: Int) throws {
        conv = try Conv2d(w["conv"], in: channels, out: channels, kernel: 3, stride: 2, padding: padding)
        padBottomRight = padding == 0
    }

    public func callAsFunction(_ x: Tensor) -> Tensor {
        conv(padBottomRight ? x.padded2d(top: 0, bottom: 1, left: 0, right: 1) : x)
    }
}

/// Nearest-neighbour 2x upsampling followed by a 3x3 convolution (`upsamplers.0.conv`).
public struct Upsample2D {
    let conv: Conv2d

    public init(_ w: Weights, channels: Int) throws {
        conv = try Conv2d(w["conv"], in: channels, out: channels, kernel: 3, padding: 1)
    }

    public func callAsFunction(_ x: Tensor) -> Tensor { conv(x.upsampleNearest2x()) }
}
