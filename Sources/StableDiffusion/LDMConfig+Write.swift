import Foundation

extension LDMConfig {
    /// The LDM inference YAML describing `unet`, `vae` and `scheduler`, written beside single
    /// files by `membrane convert` and `membrane merge` so they load without other configs (and
    /// as SD-WebUI reads `<stem>.yaml`). Errors name `file` and the option LDM cannot express.
    public static func yaml(unet u: UNetConfig, vae v: VAEConfig, scheduler s: SchedulerConfig, file: String) throws -> String {
        func refuse(_ option: String) -> ModelError {
            .unsupported(file: file, option: option, reason: "the LDM config format cannot express it")
        }
        let base = u.blockOutChannels[0]
        guard u.blockOutChannels.allSatisfy({ $0 % base == 0 }) else { throw refuse("block_out_channels \(u.blockOutChannels)") }
        let n = u.blockCount
        let heads = (0..<n).map { u.heads(block: $0) }
        let headLine: String
        if Set(heads).count == 1 {
            headLine = "num_heads: \(heads[0])"
        } else if Set((0..<n).map { u.blockOutChannels[$0] / heads[$0] }).count == 1 {
            headLine = "num_heads: -1\n        num_head_channels: \(u.blockOutChannels[0] / heads[0])"
        } else {
            throw refuse("per-block head counts \(heads)")
        }
        for (i, t) in u.downBlockTypes.enumerated() where (t == "CrossAttnDownBlock2D") != (u.upBlockTypes[n - 1 - i] == "CrossAttnUpBlock2D") {
            throw refuse("attention in down block \(i) but not in the up block mirroring it")
        }
        if u.midBlockType == nil { throw refuse("a UNet without a mid block") }
        let context = u.crossAttentionDim.values, depth = u.transformerLayersPerBlock.values
        guard Set(context).count == 1 else { throw refuse("per-block cross_attention_dim") }
        let attention = u.downBlockTypes.enumerated().filter { $0.element == "CrossAttnDownBlock2D" }.map { 1 << $0.offset }
        func list(_ v: [Int]) -> String { "[" + v.map(String.init).joined(separator: ", ") + "]" }
        func intOrList(_ v: IntOrList) -> String { v.isList ? list(v.values) : String(v.values[0]) }
        let vBase = v.blockOutChannels[0]
        guard v.blockOutChannels.allSatisfy({ $0 % vBase == 0 }) else { throw refuse("VAE block_out_channels \(v.blockOutChannels)") }
        guard s.trainedBetas == nil, ["scaled_linear", "squaredcos_cap_v2"].contains(s.betaSchedule) else { throw refuse("beta_schedule \(s.betaSchedule)") }
        return """
        model:
          target: ldm.models.diffusion.ddpm.LatentDiffusion
          params:
            linear_start: \(s.betaStart)
            linear_end: \(s.betaEnd)
            timesteps: \(s.numTrainTimesteps)
            beta_schedule: \(s.betaSchedule == "scaled_linear" ? "linear" : "cosine")
            parameterization: \(s.predictionType == .vPrediction ? "v" : "eps")
            image_size: \(u.sampleSize ?? 64)
            channels: \(u.inChannels)
            conditioning_key: crossattn
            scale_factor: \(v.scalingFactor)
            use_ema: False
            unet_config:
              target: ldm.modules.diffusionmodules.openaimodel.UNetModel
              params:
                image_size: \(u.sampleSize ?? 64)
                in_channels: \(u.inChannels)
                out_channels: \(u.outChannels)
                model_channels: \(base)
                attention_resolutions: \(list(attention))
                num_res_blocks: \(intOrList(u.layersPerBlock))
                channel_mult: \(list(u.blockOutChannels.map { $0 / base }))
                \(headLine)
                use_spatial_transformer: True
                transformer_depth: \(depth.count == 1 ? String(depth[0]) : list(depth))
                context_dim: \(context[0])
                use_linear_in_transformer: \(u.useLinearProjection ? "True" : "False")
                legacy: False
            first_stage_config:
              target: ldm.models.autoencoder.AutoencoderKL
              params:
                embed_dim: \(v.latentChannels)
                ddconfig:
                  double_z: true
                  z_channels: \(v.latentChannels)
                  resolution: 256
                  in_channels: \(v.inChannels)
                  out_ch: \(v.outChannels)
                  ch: \(vBase)
                  ch_mult: \(list(v.blockOutChannels.map { $0 / vBase }))
                  num_res_blocks: \(v.layersPerBlock)
                  attn_resolutions: []
                  dropout: 0.0
            cond_stage_config:
              target: ldm.modules.encoders.modules.FrozenCLIPEmbedder

        """
    }
}
