import Foundation
import Membranes
import StableDiffusion
import TensorEngine
import TestSupport
import XCTest

/// Facilitated Transport multipliers and membrane composition.
final class TransportTests: XCTestCase {
    func testPromptNamingTheTargetGetsFullStrength() {
        let ft = FacilitatedTransport(rule: .reference)
        XCTAssertEqual(ft.multiplier(prompt: "a red circle", targets: ["red"], model: Fixtures.model), 1, accuracy: 1e-6)
        let other = ft.multiplier(prompt: "a blue square", targets: ["red"], model: Fixtures.model)
        XCTAssertLessThan(other, 1)
        XCTAssertGreaterThanOrEqual(other, 0)
    }

    func testTokenRuleIgnoresPadding() {
        let ft = FacilitatedTransport(rule: .tokens)
        XCTAssertEqual(ft.multiplier(prompt: "a photo of a red cross", targets: ["red"], model: Fixtures.model), 1)
        XCTAssertEqual(ft.multiplier(prompt: "a blue square", targets: ["red"], model: Fixtures.model), 0)
        XCTAssertEqual(ft.multiplier(prompt: "a red square", targets: ["red triangle"], model: Fixtures.model), 0.5)
    }

    func testMultipliersPerRowAndMembrane() {
        let sites = Fixtures.model.unet.adapterSites
        let red = Membrane(sites: sites, targets: ["red"], seed: 1), tri = Membrane(sites: sites, targets: ["triangle"], seed: 2)
        let m = FacilitatedTransport(rule: .tokens).multipliers(rowPrompts: ["a red circle", "a blue triangle", ""], membranes: [red, tri], model: Fixtures.model)
        XCTAssertEqual(m[0], [1, 0, 0])
        XCTAssertEqual(m[1], [0, 1, 0])
    }

    func testComposedMembranesAddTheirTerms() throws {
        // y(A + B) - y(base) == (y(A) - y(base)) + (y(B) - y(base)) layer by layer, so at one
        // layer the adapter's delta is the sum of the single deltas.
        let sites = Fixtures.model.unet.adapterSites
        var a = Membrane(sites: sites, targets: ["red"], seed: 1), b = Membrane(sites: sites, targets: ["triangle"], seed: 2)
        var rng = RandomSource(seed: 3)
        for (k, l) in a.layers { a.layers[k]?.up = Tensor.randn(l.up.shape, using: &rng) }
        for (k, l) in b.layers { b.layers[k]?.up = Tensor.randn(l.up.shape, using: &rng) }
        let site = sites.first { if case .linear = $0.layer { return true } else { return false } }!
        guard case .linear(let nIn, _) = site.layer else { return }
        let x = Tensor.randn([2, 5, nIn], using: &rng)
        let both = MembraneAdapter([(a, [1, 0.5]), (b, [0.25, 1])]).delta(path: site.path, input: x, layer: site.layer)!
        let da = MembraneAdapter([(a, [1, 0.5])]).delta(path: site.path, input: x, layer: site.layer)!
        let db = MembraneAdapter([(b, [0.25, 1])]).delta(path: site.path, input: x, layer: site.layer)!
        XCTAssertLessThan(relativeError(both, da + db), 1e-6)
        // Row multipliers scale rows independently.
        let full = MembraneAdapter([(a, [1, 1])]).delta(path: site.path, input: x, layer: site.layer)!
        let half = da.slice(axis: 0, range: 1..<2), fullRow = full.slice(axis: 0, range: 1..<2)
        XCTAssertLessThan(relativeError(half, fullRow * 0.5), 1e-6)
        XCTAssertNil(MembraneAdapter([(a, [0, 0])]).delta(path: site.path, input: x, layer: site.layer))
    }
}
