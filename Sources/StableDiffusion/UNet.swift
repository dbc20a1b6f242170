import Foundation
import TensorEngine

/// diffusers' `UNet2DConditionModel` for SD v1.x-style configs: predicts noise (or v) from a noisy
/// latent, a timestep per sample and a text context. Every size comes from ``UNetConfig``.
public struct UNet {
    public let config: UNetConfig
    let timeLinear1: Linear, timeLinear2: Linear
    let convIn: Conv2d
    let down: [DownBlock]
    let mid: MidBlock?
    let up: [UpBlock]
    let normOut: GroupNorm
    let convOut: Conv2d

    /// Builds the UNet from `config`, reading weights at `w` (the root of the UNet checkpoint).
    public init(config: UNetConfig, weights w: Weights) throws {
        self.config = config
        let ch = config.blockOutChannels, n = config.blockCount
        let tembDim = config.timeEmbedDim
        timeLinear1 = try Linear(w["time_embedding"]["linear_1"], in: ch[0], out: tembDim)
        timeLinear2 = try Linear(w["time_embedding"]["linear_2"], in: tembDim, out: tembDim)
        convIn = try Conv2d(w["conv_in"], in: config.inChannels, out: ch[0], kernel: config.convInKernel, padding: (config.convInKernel - 1) / 2)
        let settings = BlockSettings(tembChannels: tembDim, groups: config.normNumGroups, eps: config.normEps,
                                     outputScale: config.resnetOutScaleFactor, linearProjection: config.useLinearProjection)

        var downBlocks: [DownBlock] = []
        var skipChannels: [Int] = [ch[0]]
        for i in 0..<n {
            let cross = config.downBlockTypes[i] == "CrossAttnDownBlock2D"
            let layers = config.layersPerBlock.value(at: i)
            let block = try DownBlock(w["down_blocks"][i], in: i == 0 ? ch[0] : ch[i - 1], out: ch[i], layers: layers,
                                      crossAttention: cross ? (config.heads(block: i), config.crossAttentionDim.value(at: i), config.transformerLayersPerBlock.value(at: i)) : nil,
                                      addDownsample: i < n - 1, downsamplePadding: config.downsamplePadding, settings: settings)
            skipChannels += Array(repeating: ch[i], count: layers + (i < n - 1 ? 1 : 0))
            downBlocks.append(block)
        }
        down = downBlocks

        if config.midBlockType != nil {
            mid = try MidBlock(w["mid_block"], channels: ch[n - 1], heads: config.heads(block: n - 1),
                               contextDim: config.crossAttentionDim.value(at: n - 1),
                               depth: config.transformerLayersPerBlock.value(at: n - 1), settings: settings,
                               outputScale: config.resnetOutScaleFactor)
        } else {
            mid = nil
        }

        var upBlocks: [UpBlock] = []
        var previous = ch[n - 1]
        for i in 0..<n {
            let r = n - 1 - i  // the down block this up block mirrors
            let layers = config.layersPerBlock.value(at: r) + 1
            var skips: [Int] = []
            for _ in 0..<layers { skips.append(skipChannels.removeLast()) }
            let cross = config.upBlockTypes[i] == "CrossAttnUpBlock2D"
            let block = try UpBlock(w["up_blocks"][i], previous: previous, out: ch[r], skipChannels: skips,
                                    crossAttention: cross ? (config.heads(block: r), config.crossAttentionDim.value(at: r), config.transformerLayersPerBlock.value(at: r)) : nil,
                                    addUpsample: i < n - 1, settings: settings)
            upBlocks.append(block)
            previous = ch[r]
        }
        up = upBlocks
        normOut = try GroupNorm(w["conv_norm_out"], channels: ch[0], groups: config.normNumGroups, eps: config.normEps)
        convOut = try Conv2d(w["conv_out"], in: ch[0], out: config.outChannels, kernel: config.convOutKernel, padding: (config.convOutKernel - 1) / 2)
        releaseFreeHeapPages()
    }

    /// Latent sides must be divisible by this.
    public var sizeMultiple: Int { 1 << (config.blockCount - 1) }

    /// The model output for latents `x` [B, C, H, W] at `timesteps` (one per sample) with text
    /// `context` [B, T, D]. `adapter` adds membrane terms inside the transformers. Without
    /// gradient recording the batch is split over cores in blocks of rows.
    public func callAsFunction(_ x: Tensor, timesteps: [Float], context: Tensor, adapter: LayerAdapter? = nil) -> Tensor {
        let b = x.shape[0]
        precondition(timesteps.count == b && context.shape[0] == b, "batch mismatch: \(x.shape), \(timesteps.count) timesteps, context \(context.shape)")
        precondition(x.shape[2] % sizeMultiple == 0 && x.shape[3] % sizeMultiple == 0,
                     "latent size \(x.shape[2])x\(x.shape[3]) is not a multiple of \(sizeMultiple)")
        return splitBatchOverCores(b) { rows in
            rows.count == b ? forward(x, timesteps: timesteps, context: context, adapter: adapter)
                : forward(x.slice(axis: 0, range: rows), timesteps: Array(timesteps[rows]),
                          context: context.slice(axis: 0, range: rows), adapter: adapter?.rows(rows))
        }
    }

    /// The classifier-free guided prediction for latents `x` [B, C, H, W] at `timestep`:
    /// `uncond + (cond - uncond) * guidance`. `context` holds B unconditional rows then B
    /// conditional rows; at guidance 1 it holds the B conditional rows only and only they run.
    public func guidedPrediction(_ x: Tensor, timestep: Float, context: Tensor, guidance: Float, adapter: LayerAdapter? = nil) -> Tensor {
        let b = x.shape[0]
        let guided = guidance != 1
        let rows = guided ? Tensor.concat([x, x], axis: 0) : x
        let out = self(rows, timesteps: Array(repeating: timestep, count: rows.shape[0]), context: context, adapter: adapter)
        guard guided else { return out }
        let uncond = out.slice(axis: 0, range: 0..<b), cond = out.slice(axis: 0, range: b..<(2 * b))
        return uncond + (cond - uncond) * guidance
    }

    func forward(_ x: Tensor, timesteps: [Float], context: Tensor, adapter: LayerAdapter?) -> Tensor {
        let tproj = Tensor.timestepEmbedding(timesteps: timesteps, dim: config.blockOutChannels[0],
                                             flipSinToCos: config.flipSinToCos, downscaleFreqShift: config.freqShift)
        let temb = timeLinear2(timeLinear1(tproj).silu())
        var h = convIn(config.centerInputSample ? x.affine(scale: 2, shift: -1) : x)
        var skips: [Tensor] = [h]
        for block in down {
            let (out, states) = block(h, temb: temb, context: context, adapter: adapter)
            h = out
            skips += states
        }
        if let mid { h = mid(h, temb: temb, context: context, adapter: adapter) }
        for block in up { h = block(h, skips: &skips, temb: temb, context: context, adapter: adapter) }
        return convOut(normOut(h).silu())
    }
}
