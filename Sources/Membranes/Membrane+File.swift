import Foundation
import SafeTensors
import StableDiffusion
import TensorEngine

/// Why a membrane file cannot be used.
public struct MembraneFileError: Error, CustomStringConvertible, Equatable {
    public let path: String
    public let problem: String
    public var description: String { "\(path): \(problem)" }
}

extension Membrane {
    /// Version of our own metadata keys.
    public static let formatVersion = "1"

    /// The kohya-style key prefix of a UNet module path: "lora_unet_" + path with '.' -> '_'.
    /// Keys are only ever built forward from paths; they are never parsed back.
    public static func key(for path: String) -> String {
        "lora_unet_" + path.replacingOccurrences(of: ".", with: "_")
    }

    /// Writes the membrane as safetensors (reference and LoRA-loader compatible) atomically:
    /// a temporary file in the same folder, fsync, rename, fsync of the folder.
    public func write(to url: URL) throws {
        var meta = info
        meta["prompts"] = targets.joined(separator: ",")
        meta["rank"] = String(rank)
        meta["alpha"] = String(format: "%.1f", alpha)
        meta["membrane.format_version"] = Membrane.formatVersion
        meta["membrane.targets"] = String(data: try JSONEncoder().encode(targets), encoding: .utf8)
        var writer = SafeTensorsWriter(metadata: meta)
        guard alpha.isFinite else { throw MembraneFileError(path: url.path, problem: "alpha \(alpha) is not finite; nothing written") }
        for (path, layer) in layers {
            let key = Membrane.key(for: path)
            for (name, tensor) in [("lora_down.weight", layer.down), ("lora_up.weight", layer.up)] {
                if let bad = Membrane.firstNonFinite(tensor.scalars) {
                    throw MembraneFileError(path: url.path, problem: "tensor '\(key).\(name)' holds \(bad); nothing written")
                }
            }
            try writer.add(key + ".lora_down.weight", floats: layer.down.scalars, shape: layer.down.shape)
            try writer.add(key + ".lora_up.weight", floats: layer.up.scalars, shape: layer.up.shape)
            try writer.add(key + ".alpha", floats: [alpha], shape: [])
        }
        try writer.write(to: url)
    }

    /// Reads a membrane for a UNet with these sites (`unet.adapterSites`). Layers are named by
    /// diffusers-style keys (`lora_unet_down_blocks_0_attentions_0_...`) or by LDM-style ones
    /// (`lora_unet_input_blocks_1_1_...`, as SD-WebUI and ComfyUI also read). Keys that match no
    /// layer (all listed), or weights whose shapes differ from the layer's, mean the file was made
    /// for another architecture and are refused.
    public static func read(from url: URL, sites: [AdapterSite]) throws -> Membrane {
        let file: SafeTensorsFile
        do { file = try SafeTensorsFile(url: url) } catch { throw MembraneFileError(path: url.path, problem: "\(error)") }
        return try read(from: file, sites: sites)
    }

    /// Reads a membrane from an opened safetensors file, checked as ``read(from:sites:)-(URL,_)``
    /// checks one on disk; errors name `file.path`.
    public static func read(from file: SafeTensorsFile, sites: [AdapterSite]) throws -> Membrane {
        func fail(_ p: String) -> MembraneFileError { MembraneFileError(path: file.path, problem: p) }
        var layers: [String: MembraneLayer] = [:]
        var used = Set<String>()
        var alpha: Float?
        var rank: Int?
        for site in sites {
            // The diffusers-style key, or its LDM-style twin (`lora_unet_input_blocks_1_1_...`).
            let keys = [key(for: site.path)] + (site.ldmPath.map { [Membrane.key(for: $0)] } ?? [])
            let present = keys.filter { file.contains($0 + ".lora_down.weight") || file.contains($0 + ".lora_up.weight") }
            guard let key = present.first else { continue }
            if present.count > 1 { throw fail("layer \(site.path) is given twice, as \(present.joined(separator: " and "))") }
            let downName = key + ".lora_down.weight", upName = key + ".lora_up.weight", alphaName = key + ".alpha"
            guard file.contains(downName), file.contains(upName) else {
                throw fail("layer \(key) has only one of lora_down and lora_up")
            }
            let dInfo = try file.info(downName), uInfo = try file.info(upName)
            let r = dInfo.shape.first ?? 0
            let (downShape, upShape): ([Int], [Int])
            switch site.layer {
            case .linear(let nIn, let nOut): (downShape, upShape) = ([r, nIn], [nOut, r])
            case .conv(let nIn, let nOut, let k, _, _): (downShape, upShape) = ([r, nIn, k, k], [nOut, r, 1, 1])
            }
            guard r > 0, dInfo.shape == downShape, uInfo.shape == upShape else {
                throw fail("layer \(key) has shapes \(dInfo.shape) and \(uInfo.shape), this UNet needs \(downShape) and \(upShape) (a membrane for another architecture?)")
            }
            if let rank, rank != r { throw fail("layers have different ranks (\(rank) and \(r))") }
            rank = r
            if file.contains(alphaName) {
                let a = try file.floats(alphaName)
                guard a.count == 1 else { throw fail("\(alphaName) is not a scalar") }
                guard a[0].isFinite else { throw fail("tensor '\(alphaName)' holds \(a[0]); membrane values must be finite") }
                alpha = a[0]
                used.insert(alphaName)
            }
            let down = try file.floats(downName), up = try file.floats(upName)
            for (name, values) in [(downName, down), (upName, up)] {
                if let bad = firstNonFinite(values) { throw fail("tensor '\(name)' holds \(bad); membrane values must be finite") }
            }
            layers[site.path] = MembraneLayer(site: site, down: Tensor(shape: downShape, values: down),
                                              up: Tensor(shape: upShape, values: up))
            used.insert(downName)
            used.insert(upName)
        }
        let stray = file.names.filter { !used.contains($0) }
        if !stray.isEmpty {
            let shown = stray.prefix(50).map { "'\($0)'" }.joined(separator: ", ") + (stray.count > 50 ? ", ..." : "")
            throw fail("\(stray.count) tensors match no layer of this UNet: \(shown) (a membrane for another architecture?)")
        }
        guard !layers.isEmpty else { throw fail("no membrane layers found") }
        let meta = file.metadata
        var targets: [String] = []
        if let json = meta["membrane.targets"], let data = json.data(using: .utf8), let t = try? JSONDecoder().decode([String].self, from: data) {
            targets = t
        } else if let p = meta["prompts"] {
            targets = p.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty }
        }
        if alpha == nil, let a = meta["alpha"].flatMap(Float.init) {
            guard a.isFinite else { throw fail("metadata 'alpha' is \(a); it must be finite") }
            alpha = a
        }
        var own = meta
        for k in ["prompts", "rank", "alpha", "membrane.targets"] { own[k] = nil }
        return Membrane(targets: targets, layers: layers, alpha: alpha ?? Float(rank ?? 1), info: own)
    }
}

extension Membrane {
    /// The first NaN or infinity in `values`, with its index ("nan at index 3"), or nil.
    static func firstNonFinite(_ values: [Float]) -> String? {
        values.firstIndex { !$0.isFinite }.map { "\(values[$0]) at index \($0)" }
    }
}
