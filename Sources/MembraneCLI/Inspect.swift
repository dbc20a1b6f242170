import ArgumentParser
import Foundation
import StableDiffusion

/// `membrane inspect --model DIR`: the architecture summary of a diffusers SD folder.
struct Inspect: ParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Print the architecture of a Stable Diffusion v1.x model (folder or single file).")

    @OptionGroup var modelOptions: ModelOptions

    func run() throws {
        let m = try modelOptions.load()
        let u = m.unet.config
        print("model: \(m.source.url.path) (\(m.source.layout == .folder ? "diffusers folder" : "single file"))")
        print("unet: in \(u.inChannels), out \(u.outChannels), channels \(u.blockOutChannels), layers/block \(u.layersPerBlock.values)")
        for i in 0..<u.blockCount {
            let cross = u.downBlockTypes[i] == "CrossAttnDownBlock2D"
            print("  down \(i): \(u.downBlockTypes[i]) \(u.blockOutChannels[i]) ch" + (cross ? ", \(u.heads(block: i)) heads, context \(u.crossAttentionDim.value(at: i)), depth \(u.transformerLayersPerBlock.value(at: i))" : ""))
        }
        print("  mid: \(u.midBlockType ?? "none")")
        for (i, t) in u.upBlockTypes.enumerated() { print("  up \(i): \(t)") }
        print("  projection: \(u.useLinearProjection ? "linear" : "1x1 conv"), time embedding \(u.timeEmbedDim)")
        let t = m.textEncoder.config
        print("text encoder: \(t.numHiddenLayers) layers, width \(t.hiddenSize), \(t.numAttentionHeads) heads, vocab \(t.vocabSize), \(t.hiddenAct)")
        let v = m.vae.config
        print("vae: channels \(v.blockOutChannels), latent \(v.latentChannels), factor \(v.downscale), scaling \(v.scalingFactor)")
        print("scheduler: \(m.scheduler.className), \(m.scheduler.betaSchedule), \(m.scheduler.predictionType.rawValue), spacing \(m.scheduler.timestepSpacing.rawValue)")
        let sites = m.unet.adapterSites
        print("membrane sites: \(sites.count) layers")
        for (name, count) in m.parameterCounts.sorted(by: { $0.key < $1.key }) {
            print("params \(name): \(count) (\(String(format: "%.1f", Double(count) * 4 / 1_048_576)) MB float32)")
        }
    }
}
