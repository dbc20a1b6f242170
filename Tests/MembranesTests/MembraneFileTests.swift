import Foundation
import Membranes
import SafeTensors
import StableDiffusion
import TensorEngine
import TestSupport
import XCTest

/// The membrane file format: round trip, the reference's layout, refusals.
final class MembraneFileTests: XCTestCase {
    var dir: URL!

    override func setUpWithError() throws {
        dir = FileManager.default.temporaryDirectory.appendingPathComponent("membrane-files-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
    }

    override func tearDownWithError() throws { try? FileManager.default.removeItem(at: dir) }

    var sites: [AdapterSite] { Fixtures.model.unet.adapterSites }

    /// A membrane with non-zero up weights.
    func randomMembrane(seed: UInt64) -> Membrane {
        var m = Membrane(sites: sites, targets: ["red", "a, b"], seed: seed)
        var rng = RandomSource(seed: seed + 100)
        for (k, l) in m.layers { m.layers[k]?.up = Tensor.randn(l.up.shape, using: &rng) }
        m.info["membrane.iterations"] = "12"
        return m
    }

    func testRoundTripKeepsWeightsTargetsAndMetadata() throws {
        let m = randomMembrane(seed: 1)
        let url = dir.appendingPathComponent("red.safetensors")
        try m.write(to: url)
        let back = try Membrane.read(from: url, sites: sites)
        XCTAssertEqual(back.targets, ["red", "a, b"])
        XCTAssertEqual(back.layers.count, m.layers.count)
        XCTAssertEqual(back.info["membrane.iterations"], "12")
        XCTAssertEqual(back.alpha, 1)
        for (k, l) in m.layers {
            XCTAssertEqual(back.layers[k]?.down.scalars, l.down.scalars)
            XCTAssertEqual(back.layers[k]?.up.scalars, l.up.scalars)
        }
        // The reference's metadata and key layout.
        let file = try SafeTensorsFile(url: url)
        XCTAssertEqual(file.metadata["rank"], "1")
        XCTAssertEqual(file.metadata["alpha"], "1.0")
        XCTAssertEqual(file.metadata["prompts"], "red,a, b")
        let key = "lora_unet_down_blocks_0_attentions_0_transformer_blocks_0_attn1_to_q"
        XCTAssertEqual(try file.info(key + ".lora_down.weight").shape, [1, 32])
        XCTAssertEqual(try file.info(key + ".lora_up.weight").shape, [32, 1])
        XCTAssertEqual(try file.info("lora_unet_down_blocks_0_attentions_0_proj_in.lora_down.weight").shape, [1, 32, 1, 1])
        XCTAssertEqual(try file.info(key + ".alpha").shape, [])
    }

    func testReferenceLayoutFileLoads() throws {
        // Built the way the reference writes it: only its three metadata keys, an alpha per layer.
        var writer = SafeTensorsWriter(metadata: ["prompts": "snoopy", "rank": "1", "alpha": "1.0"])
        var rng = RandomSource(seed: 5)
        for site in sites {
            let key = "lora_unet_" + site.path.replacingOccurrences(of: ".", with: "_")
            switch site.layer {
            case .linear(let i, let o):
                try writer.add(key + ".lora_down.weight", floats: Tensor.randn([1, i], using: &rng).scalars, shape: [1, i])
                try writer.add(key + ".lora_up.weight", floats: Tensor.randn([o, 1], using: &rng).scalars, shape: [o, 1])
            case .conv(let i, let o, let k, _, _):
                try writer.add(key + ".lora_down.weight", floats: Tensor.randn([1, i, k, k], using: &rng).scalars, shape: [1, i, k, k])
                try writer.add(key + ".lora_up.weight", floats: Tensor.randn([o, 1, 1, 1], using: &rng).scalars, shape: [o, 1, 1, 1])
            }
            try writer.add(key + ".alpha", floats: [1], shape: [])
        }
        let url = dir.appendingPathComponent("reference.safetensors")
        try writer.write(to: url)
        let m = try Membrane.read(from: url, sites: sites)
        XCTAssertEqual(m.targets, ["snoopy"])
        XCTAssertEqual(m.layers.count, sites.count)
        XCTAssertEqual(m.scale, 1)
    }

    func testWrongShapeIsRefusedAsAnotherArchitecture() throws {
        let url = dir.appendingPathComponent("other.safetensors")
        let key = "lora_unet_mid_block_attentions_0_transformer_blocks_0_attn2_to_k"
        var writer = SafeTensorsWriter(metadata: ["prompts": "x"])
        try writer.add(key + ".lora_down.weight", floats: Array(repeating: 0.1, count: 768), shape: [1, 768])
        try writer.add(key + ".lora_up.weight", floats: Array(repeating: 0.1, count: 64), shape: [64, 1])
        try writer.write(to: url)
        XCTAssertThrowsError(try Membrane.read(from: url, sites: sites)) { error in
            let text = "\(error)"
            XCTAssertTrue(text.contains("other.safetensors") && text.contains(key) && text.contains("another architecture"), text)
        }
    }

    func testUnknownKeysAreRefused() throws {
        let m = randomMembrane(seed: 2)
        let url = dir.appendingPathComponent("extra.safetensors")
        try m.write(to: url)
        let file = try SafeTensorsFile(url: url)
        var writer = SafeTensorsWriter(metadata: file.metadata)
        for n in file.names { try writer.add(n, floats: try file.floats(n), shape: try file.info(n).shape) }
        try writer.add("lora_unet_down_blocks_9_attentions_0_proj_in.lora_down.weight", floats: [1, 2], shape: [1, 2])
        try writer.write(to: url)
        XCTAssertThrowsError(try Membrane.read(from: url, sites: sites)) { error in
            XCTAssertTrue("\(error)".contains("match no layer"), "\(error)")
        }
    }

    func testNotAMembraneFileIsAClearError() throws {
        let url = dir.appendingPathComponent("junk.safetensors")
        try Data("hello".utf8).write(to: url)
        XCTAssertThrowsError(try Membrane.read(from: url, sites: sites)) { error in
            XCTAssertTrue("\(error)".contains("junk.safetensors"), "\(error)")
        }
    }

    func testWriteIsAtomicOverAnExistingFile() throws {
        let url = dir.appendingPathComponent("m.safetensors")
        try randomMembrane(seed: 3).write(to: url)
        try randomMembrane(seed: 4).write(to: url)
        XCTAssertNoThrow(try Membrane.read(from: url, sites: sites))
        let leftovers = try FileManager.default.contentsOfDirectory(atPath: dir.path).filter { $0 != "m.safetensors" }
        XCTAssertEqual(leftovers, [])
    }

    /// A membrane in memory reads as the same file on disk does, and its errors name its path.
    func testReadFromAnOpenedFileMatchesReadFromDisk() throws {
        let url = dir.appendingPathComponent("memory.safetensors")
        try randomMembrane(seed: 5).write(to: url)
        let fromDisk = try Membrane.read(from: url, sites: sites)
        let opened = try SafeTensorsFile(contents: try Data(contentsOf: url), path: "memory.safetensors")
        let fromMemory = try Membrane.read(from: opened, sites: sites)
        XCTAssertEqual(fromMemory.targets, fromDisk.targets)
        XCTAssertEqual(fromMemory.layers.count, fromDisk.layers.count)
        for (k, l) in fromDisk.layers {
            XCTAssertEqual(fromMemory.layers[k]?.up.scalars, l.up.scalars)
            XCTAssertEqual(fromMemory.layers[k]?.down.scalars, l.down.scalars)
        }
        var writer = SafeTensorsWriter()
        try writer.add("lora_unet_stray.lora_down.weight", floats: [1], shape: [1, 1])
        let stray = try SafeTensorsFile(contents: Data(writer.serialized()), path: "in-memory stray")
        XCTAssertThrowsError(try Membrane.read(from: stray, sites: sites)) { error in
            XCTAssertTrue("\(error)".hasPrefix("in-memory stray: "), "\(error)")
        }
    }
}
