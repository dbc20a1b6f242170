import Foundation
import Membranes
import SafeTensors
import StableDiffusion
import TensorEngine
import TestSupport
import XCTest

/// The membrane forward and gradients against the PyTorch reference (`spm.*`, `grad.*`).
final class MembraneGoldenTests: XCTestCase {
    /// The golden membrane, read from the `spm.` keys through the file reader: the golden file
    /// stores it in the reference layout with a prefix, so a copy without the prefix is written.
    func goldenMembrane() throws -> Membrane {
        let golden = Fixtures.goldenFile
        var writer = SafeTensorsWriter(metadata: ["prompts": "golden", "rank": "1", "alpha": "1.0"])
        for name in golden.names where name.hasPrefix("spm.lora_unet_") {
            let info = try golden.info(name)
            try writer.add(String(name.dropFirst(4)), floats: try golden.floats(name), shape: info.shape)
        }
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("golden-membrane-\(getpid()).safetensors")
        try writer.write(to: url)
        defer { try? FileManager.default.removeItem(at: url) }
        return try Membrane.read(from: url, sites: Fixtures.model.unet.adapterSites)
    }

    func testPlacementCoversEveryTransformerLayer() throws {
        let sites = Fixtures.model.unet.adapterSites
        XCTAssertEqual(sites.count, 132)
        let golden = Set(Fixtures.goldenFile.names.filter { $0.hasPrefix("spm.lora_unet_") && $0.hasSuffix(".lora_down.weight") }
            .map { String($0.dropFirst(4).dropLast(".lora_down.weight".count)) })
        XCTAssertEqual(Set(sites.map { Membrane.key(for: $0.path) }), golden)
    }

    func testForwardAndGradientsMatchReference() throws {
        let membrane = try goldenMembrane().trainable()
        XCTAssertEqual(membrane.layers.count, 132)
        let x = try Fixtures.tensor("unet.x"), ctx = try Fixtures.tensor("unet.ctx")
        let t = try Fixtures.ints("unet.t").map(Float.init)
        let adapter = MembraneAdapter(membranes: [membrane], multiplier: 1, rows: 2)
        let eps = Fixtures.model.unet(x, timesteps: t, context: ctx, adapter: adapter)
        XCTAssertLessThan(relativeError(eps, try Fixtures.tensor("spm.eps")), 1e-4)
        let loss = eps.mse(try Fixtures.tensor("spm.target"))
        XCTAssertEqual(Double(loss.item), Double(try Fixtures.tensor("spm.loss").item), accuracy: 1e-4 * Double(abs(loss.item)))
        loss.backward()
        var checked = 0
        for (path, layer) in membrane.layers {
            let key = Membrane.key(for: path)
            for (suffix, p) in [("lora_down.weight", layer.down), ("lora_up.weight", layer.up)] {
                let expected = try Fixtures.tensor("grad.\(key).\(suffix)")
                guard let g = p.grad else { XCTFail("no gradient for \(key).\(suffix)"); continue }
                XCTAssertLessThan(relativeError(g, expected), 1e-4, "\(key).\(suffix)")
                checked += 1
            }
        }
        XCTAssertEqual(checked, 264)
    }

    func testMergedIntoWeightsMatchesReference() throws {
        // The trajectory's path: the membrane merged into the frozen weights, no gradient, the
        // batch split over cores. Same PyTorch golden as the three-GEMM path above.
        let membrane = try goldenMembrane()
        let x = try Fixtures.tensor("unet.x"), ctx = try Fixtures.tensor("unet.ctx")
        let t = try Fixtures.ints("unet.t").map(Float.init)
        let merged = MergedMembranes(membranes: [membrane], multiplier: 1)
        let eps = withoutGradient { Fixtures.model.unet(x, timesteps: t, context: ctx, adapter: merged) }
        XCTAssertLessThan(relativeError(eps, try Fixtures.tensor("spm.eps")), 1e-4)
        // Multiplier 0 is the frozen model itself.
        let off = withoutGradient { Fixtures.model.unet(x, timesteps: t, context: ctx, adapter: MergedMembranes(membranes: [membrane], multiplier: 0)) }
        XCTAssertEqual(off.scalars, withoutGradient { Fixtures.model.unet(x, timesteps: t, context: ctx) }.scalars)
    }

    func testMergedWeightsAddEveryMembraneAtItsMultiplier() throws {
        // Two membranes of rank 2 with random weights, merged at 0.7 and -1.5: every adapted
        // weight is W + sum(multiplier * scale * up down), computed here with tensor ops.
        let sites = Fixtures.model.unet.adapterSites
        var rng = RandomSource(seed: 11)
        func random(_ seed: UInt64) -> Membrane {
            let m = Membrane(sites: sites, targets: ["x"], rank: 2, seed: seed)
            return m.replacingParameters(m.parameters.map { Tensor.randn($0.shape, using: &rng) * 0.1 })
        }
        let a = random(1), b = random(2)
        let merged = MergedMembranes(membranes: [a, b], multiplier: 0.7)
        let negative = MergedMembranes(membranes: [a], multiplier: -1.5)
        var checked = 0
        for site in sites.prefix(40) {
            let shape: [Int]
            switch site.layer {
            case .linear(let nIn, let nOut): shape = [nOut, nIn]
            case .conv(let nIn, let nOut, let k, _, _): shape = [nOut, nIn, k, k]
            }
            let original = Tensor.randn(shape, using: &rng)
            func expected(_ ms: [(Membrane, Float)]) -> Tensor {
                ms.reduce(original) { w, entry in
                    let l = entry.0.layers[site.path]!
                    let up = l.up.reshaped([l.up.shape[0], 2]), down = l.down.reshaped([2, l.down.count / 2])
                    return w + up.matmul(down).reshaped(original.shape) * (entry.1 * entry.0.scale)
                }
            }
            let got = try XCTUnwrap(merged.weight(path: site.path, original: original))
            XCTAssertLessThan(relativeError(got, expected([(a, 0.7), (b, 0.7)])), 1e-6, site.path)
            let neg = try XCTUnwrap(negative.weight(path: site.path, original: original))
            XCTAssertLessThan(relativeError(neg, expected([(a, -1.5)])), 1e-6, site.path)
            // The frozen weight itself is never written.
            XCTAssertNotEqual(got.scalars, original.scalars)
            checked += 1
        }
        XCTAssertEqual(checked, 40)
    }

    func testRowsSplitOverCoresKeepTheirOwnMultipliers() throws {
        // Without gradient the UNet runs blocks of rows on their own threads; each block must get
        // its own rows' multipliers (row 0 at 0 = plain model, row 1 at 1 = golden membrane output).
        let membrane = try goldenMembrane()
        let x = try Fixtures.tensor("unet.x"), ctx = try Fixtures.tensor("unet.ctx")
        let t = try Fixtures.ints("unet.t").map(Float.init)
        let adapter = MembraneAdapter([(membrane: membrane, multipliers: [0, 1])])
        let out = withoutGradient { Fixtures.model.unet(x, timesteps: t, context: ctx, adapter: adapter) }
        let plain = withoutGradient { Fixtures.model.unet(x, timesteps: t, context: ctx) }
        XCTAssertLessThan(relativeError(out.slice(axis: 0, range: 0..<1), plain.slice(axis: 0, range: 0..<1)), 1e-6)
        XCTAssertLessThan(relativeError(out.slice(axis: 0, range: 1..<2), try Fixtures.tensor("spm.eps").slice(axis: 0, range: 1..<2)), 1e-4)
        // The split and the unsplit (recorded) pass agree row for row.
        let recorded = Fixtures.model.unet(x, timesteps: t, context: ctx, adapter: MembraneAdapter([(membrane: membrane.trainable(), multipliers: [0, 1])]))
        XCTAssertTrue(recorded.requiresGrad)
        XCTAssertLessThan(relativeError(out, recorded.detached), 1e-6)
    }

    func testFrozenUNetGetsNoGradient() throws {
        // Only membrane weights are autodiff leaves; the UNet's tensors never get a node.
        let membrane = try goldenMembrane().trainable()
        let x = try Fixtures.tensor("unet.x")
        let out = Fixtures.model.unet(x, timesteps: [981, 20], context: try Fixtures.tensor("unet.ctx"),
                                      adapter: MembraneAdapter(membranes: [membrane], multiplier: 1, rows: 2))
        XCTAssertTrue(out.requiresGrad)
        let plain = Fixtures.model.unet(x, timesteps: [981, 20], context: try Fixtures.tensor("unet.ctx"))
        XCTAssertFalse(plain.requiresGrad)
    }
}
