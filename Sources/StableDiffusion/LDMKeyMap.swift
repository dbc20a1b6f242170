/// The correspondence between diffusers module paths and the original CompVis/LDM ones for one
/// component (UNet or VAE), derived from its architecture config: which LDM module each diffusers
/// module is, and how parameter names differ inside it. Names are relative to the component
/// (no `model.diffusion_model.` or `first_stage_model.` prefix).
public struct LDMKeyMap: Sendable {
    /// How parameter names inside a mapped module differ.
    public enum Kind: Sendable {
        /// The same names below the module (transformers, plain convs and linears).
        case same
        /// A UNet resnet: `norm1` is `in_layers.0`, `conv1` `in_layers.2`, ...
        case unetResnet
        /// A VAE resnet: `conv_shortcut` is `nin_shortcut`.
        case vaeResnet
        /// The VAE mid-block attention: 1x1 convs `q`, `k`, `v`, `proj_out` and `norm`.
        case vaeAttention

        /// (diffusers, LDM) renames of the first name parts below the module.
        var renames: [(String, String)] {
            switch self {
            case .same: return []
            case .unetResnet:
                return [("norm1", "in_layers.0"), ("conv1", "in_layers.2"), ("time_emb_proj", "emb_layers.1"),
                        ("norm2", "out_layers.0"), ("conv2", "out_layers.3"), ("conv_shortcut", "skip_connection")]
            case .vaeResnet:
                return [("norm1", "norm1"), ("conv1", "conv1"), ("norm2", "norm2"), ("conv2", "conv2"), ("conv_shortcut", "nin_shortcut")]
            case .vaeAttention:
                return [("group_norm", "norm"), ("to_q", "q"), ("to_k", "k"), ("to_v", "v"), ("to_out.0", "proj_out"),
                        ("query", "q"), ("key", "k"), ("value", "v"), ("proj_attn", "proj_out")]
            }
        }
    }

    /// A tensor name on the other side, and whether its weight is a 1x1 conv there and a linear
    /// in diffusers (the VAE attention projections).
    public struct Mapped: Equatable, Sendable {
        public var name: String
        public var convLinear: Bool
    }

    struct Entry: Sendable {
        let diffusers: String
        let ldm: String
        let kind: Kind
    }

    private var byDiffusers: [String: Entry] = [:]
    private var byLDM: [String: Entry] = [:]

    mutating func add(_ diffusers: String, _ ldm: String, _ kind: Kind = .same) {
        let entry = Entry(diffusers: diffusers, ldm: ldm, kind: kind)
        byDiffusers[diffusers] = entry
        byLDM[ldm] = entry
    }

    /// The LDM name of diffusers tensor `name`, nil when the architecture has no such tensor.
    public func ldm(_ name: String) -> Mapped? {
        guard let (entry, rest) = Self.split(name, in: byDiffusers) else { return nil }
        guard let (renamed, linear) = Self.rename(rest, kind: entry.kind, toLDM: true) else { return nil }
        return Mapped(name: entry.ldm + "." + renamed, convLinear: linear)
    }

    /// The diffusers name of LDM tensor `name`, nil when the architecture has no such tensor.
    public func diffusers(_ name: String) -> Mapped? {
        guard let (entry, rest) = Self.split(name, in: byLDM) else { return nil }
        guard let (renamed, linear) = Self.rename(rest, kind: entry.kind, toLDM: false) else { return nil }
        return Mapped(name: entry.diffusers + "." + renamed, convLinear: linear)
    }

    /// The LDM module path of a diffusers module path (a layer, not a tensor), e.g.
    /// `down_blocks.0.attentions.0.proj_in` -> `input_blocks.1.1.proj_in`.
    public func ldmModule(_ path: String) -> String? {
        guard let mapped = ldm(path + ".weight") else { return nil }
        return String(mapped.name.dropLast(".weight".count))
    }

    /// The longest module prefix of `name` in `table` and the rest of the name after it.
    private static func split(_ name: String, in table: [String: Entry]) -> (Entry, String)? {
        var end = name.endIndex
        while let dot = name[..<end].lastIndex(of: ".") {
            if let entry = table[String(name[..<dot])] { return (entry, String(name[name.index(after: dot)...])) }
            end = dot
        }
        return nil
    }

    /// Renames the start of `rest` by the module kind; nil when a renaming kind meets a name it
    /// does not know.
    private static func rename(_ rest: String, kind: Kind, toLDM: Bool) -> (String, Bool)? {
        if case .same = kind { return (rest, false) }
        for (d, l) in kind.renames {
            let (from, to) = toLDM ? (d, l) : (l, d)
            guard rest.hasPrefix(from + ".") else { continue }
            let param = rest.dropFirst(from.count + 1)
            let linear: Bool
            if case .vaeAttention = kind { linear = from != "group_norm" && from != "norm" && param == "weight" } else { linear = false }
            return (to + "." + param, linear)
        }
        return nil
    }
}

extension LDMKeyMap {
    /// The map of a UNet (`openaimodel.UNetModel` vs `UNet2DConditionModel`).
    public static func unet(_ c: UNetConfig) -> LDMKeyMap {
        var map = LDMKeyMap()
        map.add("time_embedding.linear_1", "time_embed.0")
        map.add("time_embedding.linear_2", "time_embed.2")
        map.add("conv_in", "input_blocks.0.0")
        map.add("conv_norm_out", "out.0")
        map.add("conv_out", "out.2")
        let n = c.blockCount
        var k = 1
        for i in 0..<n {
            let attention = c.downBlockTypes[i] == "CrossAttnDownBlock2D"
            for j in 0..<c.layersPerBlock.value(at: i) {
                map.add("down_blocks.\(i).resnets.\(j)", "input_blocks.\(k).0", .unetResnet)
                if attention { map.add("down_blocks.\(i).attentions.\(j)", "input_blocks.\(k).1") }
                k += 1
            }
            if i < n - 1 {
                map.add("down_blocks.\(i).downsamplers.0.conv", "input_blocks.\(k).0.op")
                k += 1
            }
        }
        if c.midBlockType != nil {
            map.add("mid_block.resnets.0", "middle_block.0", .unetResnet)
            map.add("mid_block.attentions.0", "middle_block.1")
            map.add("mid_block.resnets.1", "middle_block.2", .unetResnet)
        }
        k = 0
        for i in 0..<n {
            let attention = c.upBlockTypes[i] == "CrossAttnUpBlock2D"
            let layers = c.layersPerBlock.value(at: n - 1 - i) + 1
            for j in 0..<layers {
                map.add("up_blocks.\(i).resnets.\(j)", "output_blocks.\(k).0", .unetResnet)
                if attention { map.add("up_blocks.\(i).attentions.\(j)", "output_blocks.\(k).1") }
                if j == layers - 1 && i < n - 1 {
                    map.add("up_blocks.\(i).upsamplers.0.conv", "output_blocks.\(k).\(attention ? 2 : 1).conv")
                }
                k += 1
            }
        }
        return map
    }

    /// The map of a VAE (`ldm.models.autoencoder.AutoencoderKL` vs diffusers' `AutoencoderKL`).
    /// LDM numbers the decoder's levels from the highest resolution, diffusers from the lowest.
    public static func vae(_ c: VAEConfig) -> LDMKeyMap {
        var map = LDMKeyMap()
        let n = c.blockOutChannels.count
        map.add("quant_conv", "quant_conv")
        map.add("post_quant_conv", "post_quant_conv")
        for part in ["encoder", "decoder"] {
            map.add("\(part).conv_in", "\(part).conv_in")
            map.add("\(part).conv_out", "\(part).conv_out")
            map.add("\(part).conv_norm_out", "\(part).norm_out")
            map.add("\(part).mid_block.resnets.0", "\(part).mid.block_1", .vaeResnet)
            map.add("\(part).mid_block.resnets.1", "\(part).mid.block_2", .vaeResnet)
            map.add("\(part).mid_block.attentions.0", "\(part).mid.attn_1", .vaeAttention)
        }
        for i in 0..<n {
            for j in 0..<c.layersPerBlock {
                map.add("encoder.down_blocks.\(i).resnets.\(j)", "encoder.down.\(i).block.\(j)", .vaeResnet)
            }
            if i < n - 1 { map.add("encoder.down_blocks.\(i).downsamplers.0.conv", "encoder.down.\(i).downsample.conv") }
            let level = n - 1 - i
            for j in 0...c.layersPerBlock {
                map.add("decoder.up_blocks.\(i).resnets.\(j)", "decoder.up.\(level).block.\(j)", .vaeResnet)
            }
            if i < n - 1 { map.add("decoder.up_blocks.\(i).upsamplers.0.conv", "decoder.up.\(level).upsample.conv") }
        }
        return map
    }
}
