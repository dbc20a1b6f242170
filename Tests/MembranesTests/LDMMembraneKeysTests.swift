import Foundation
import Membranes
import SafeTensors
import StableDiffusion
import TensorEngine
import TestSupport
import XCTest

/// Membrane files whose layers are named LDM-style (`lora_unet_input_blocks_1_1_...`), as
/// SD-WebUI and ComfyUI also read them.
final class LDMMembraneKeysTests: XCTestCase {
    var dir: URL!
    let sites = Fixtures.model.unet.adapterSites

    override func setUpWithError() throws {
        dir = FileManager.default.temporaryDirectory.appendingPathComponent("membrane-ldm-keys-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
    }

    override func tearDownWithError() throws { try? FileManager.default.removeItem(at: dir) }

    /// A copy of the membrane file at `url` with every layer key renamed LDM-style, plus `extra` tensors.
    func ldmCopy(of url: URL, extra: [String] = []) throws -> URL {
        let file = try SafeTensorsFile(url: url)
        var rename: [String: String] = [:]
        for site in sites { rename[Membrane.key(for: site.path)] = Membrane.key(for: try XCTUnwrap(site.ldmPath)) }
        var writer = SafeTensorsWriter(metadata: file.metadata)
        for name in file.names {
            let dot = try XCTUnwrap(name.firstIndex(of: "."))
            let key = String(name[..<dot]), rest = name[dot...]
            try writer.add(try XCTUnwrap(rename[key], key) + rest, floats: try file.floats(name), shape: try file.info(name).shape)
        }
        for name in extra { try writer.add(name, floats: [1, 2], shape: [1, 2]) }
        let out = dir.appendingPathComponent("ldm-\(UUID().uuidString).safetensors")
        try writer.write(to: out)
        return out
    }

    func membraneFile() throws -> URL {
        var m = Membrane(sites: sites, targets: ["red"], seed: 5)
        var rng = RandomSource(seed: 6)
        for (k, l) in m.layers { m.layers[k]?.up = Tensor.randn(l.up.shape, using: &rng) * 0.1 }
        m.alpha = 0.5
        let url = dir.appendingPathComponent("diffusers.safetensors")
        try m.write(to: url)
        return url
    }

    func testLDMKeysLoadAsTheSameMembrane() throws {
        let url = try membraneFile()
        let ldm = try ldmCopy(of: url)
        let names = try SafeTensorsFile(url: ldm).names
        XCTAssertTrue(names.contains("lora_unet_input_blocks_1_1_transformer_blocks_0_attn1_to_q.lora_down.weight"), "\(names.prefix(4))")
        XCTAssertTrue(names.contains { $0.hasPrefix("lora_unet_middle_block_1_") })
        XCTAssertTrue(names.contains { $0.hasPrefix("lora_unet_output_blocks_") })
        let a = try Membrane.read(from: url, sites: sites), b = try Membrane.read(from: ldm, sites: sites)
        XCTAssertEqual(a.alpha, b.alpha)
        XCTAssertEqual(Set(a.layers.keys), Set(b.layers.keys))
        for (path, layer) in a.layers {
            XCTAssertEqual(layer.down.scalars, b.layers[path]?.down.scalars, path)
            XCTAssertEqual(layer.up.scalars, b.layers[path]?.up.scalars, path)
        }
        let x = try Fixtures.tensor("unet.x"), ctx = try Fixtures.tensor("unet.ctx")
        let t = try Fixtures.ints("unet.t").map(Float.init)
        func output(_ m: Membrane) -> [Float] {
            Fixtures.model.unet(x, timesteps: t, context: ctx, adapter: MembraneAdapter(membranes: [m], multiplier: 1, rows: 2)).scalars
        }
        let withMembrane = output(a)
        XCTAssertEqual(withMembrane, output(b))
        XCTAssertNotEqual(withMembrane, Fixtures.model.unet(x, timesteps: t, context: ctx).scalars)
    }

    func testUnknownLDMKeysAreAllListed() throws {
        let strays = ["lora_unet_input_blocks_40_1_proj_in.lora_down.weight", "lora_unet_output_blocks_99_1_proj_out.lora_up.weight"]
        let ldm = try ldmCopy(of: try membraneFile(), extra: strays)
        XCTAssertThrowsError(try Membrane.read(from: ldm, sites: sites)) { error in
            let text = "\(error)"
            XCTAssertTrue(text.contains("2 tensors match no layer"), text)
            for s in strays { XCTAssertTrue(text.contains(s), text) }
        }
    }

    func testSiteMapsToLDMPath() {
        let site = sites.first { $0.path == "mid_block.attentions.0.transformer_blocks.0.attn2.to_k" }
        XCTAssertEqual(site?.ldmPath, "middle_block.1.transformer_blocks.0.attn2.to_k")
    }
}
