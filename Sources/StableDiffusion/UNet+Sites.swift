import TensorEngine

/// A frozen layer a membrane can attach to: its module path and geometry.
public struct AdapterSite: Sendable, Equatable {
    /// Module path inside the UNet, e.g. "mid_block.attentions.0.proj_in".
    public let path: String
    public let layer: AdaptedLayer
    /// The same module's path in the original LDM UNet ("middle_block.1.proj_in"), under which
    /// SD-WebUI and ComfyUI LoRA files also name it.
    public var ldmPath: String? = nil
}

extension Linear {
    var site: AdapterSite { AdapterSite(path: path, layer: .linear(inFeatures: inFeatures, outFeatures: outFeatures)) }
}

extension Conv2d {
    var site: AdapterSite {
        AdapterSite(path: path, layer: .conv(inChannels: weight.shape[1], outChannels: weight.shape[0], kernel: kernel, stride: stride, padding: padding))
    }
}

extension Transformer2D {
    /// Every Linear and Conv2d inside this transformer, in module order.
    var sites: [AdapterSite] {
        var s: [AdapterSite] = []
        if let projIn { s.append(projIn.site) }
        if let projInLinear { s.append(projInLinear.site) }
        for b in blocks {
            for a in [b.attn1, b.attn2] { s += [a.toQ.site, a.toK.site, a.toV.site, a.toOut.site] }
            s += [b.ff.proj.site, b.ff.out.site]
        }
        if let projOut { s.append(projOut.site) }
        if let projOutLinear { s.append(projOutLinear.site) }
        return s
    }
}

extension UNet {
    /// Every Linear and Conv2d inside every Transformer2DModel of the UNet: where membranes sit.
    public var adapterSites: [AdapterSite] {
        var s: [AdapterSite] = []
        for b in down { for a in b.attentions { s += a.sites } }
        if let mid { for a in mid.attentions { s += a.sites } }
        for b in up { for a in b.attentions { s += a.sites } }
        let map = LDMKeyMap.unet(config)
        for i in s.indices { s[i].ldmPath = map.ldmModule(s[i].path) }
        return s
    }
}
