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

    func testTransportNamesParse() throws {
        XCTAssertEqual(try Transport(parsing: "facilitated"), .facilitated(.meaning))
        XCTAssertEqual(try Transport(parsing: "facilitated-tokens"), .facilitated(.tokens))
        XCTAssertEqual(try Transport(parsing: "facilitated-reference"), .facilitated(.reference))
        XCTAssertEqual(try Transport(parsing: "fixed:1.0"), .fixed(1))
        XCTAssertEqual(try Transport(parsing: "fixed:0"), .fixed(0))
        XCTAssertEqual(try Transport(parsing: "fixed:-0.5"), .fixed(-0.5))
        XCTAssertEqual(try Transport(parsing: "fixed:2e-3"), .fixed(0.002))
    }

    func testTransportNameRoundTrips() throws {
        let transports: [Transport] = [.facilitated(.meaning), .facilitated(.tokens), .facilitated(.reference), .fixed(1), .fixed(0), .fixed(-0.75), .fixed(0.1), .fixed(1e-5)]
        for transport in transports {
            XCTAssertEqual(try Transport(parsing: transport.description), transport, transport.description)
        }
        XCTAssertEqual(Transport.facilitated(.meaning).description, "facilitated")
        XCTAssertEqual(Transport.facilitated(.tokens).description, "facilitated-tokens")
        XCTAssertEqual(Transport.facilitated(.reference).description, "facilitated-reference")
        XCTAssertEqual(Transport.fixed(1).description, "fixed:1.0")
        XCTAssertEqual(try Transport(parsing: "facilitated-tokens").description, "facilitated-tokens")
    }

    func testBadTransportNamesAreRefused() {
        for text in ["", "loose", "Facilitated", "fixed", "fixed:", "fixed:one", "fixed: 1", "fixed:1.0x", "fixed=1.0"] {
            XCTAssertThrowsError(try Transport(parsing: text), "'\(text)'") { error in
                XCTAssertEqual(error as? TransportError, TransportError(text: text))
                XCTAssertTrue("\(error)".contains("'\(text)'"), "\(error)")
                XCTAssertTrue("\(error)".contains("fixed:W"), "\(error)")
            }
        }
    }

    func testNoMembranesNeedNoAdapter() {
        for transport in [Transport.facilitated(.tokens), .facilitated(.reference), .fixed(1)] {
            XCTAssertNil(transport.provider(membranes: [], model: Fixtures.model), transport.description)
        }
    }

    /// A "red" membrane whose `up` is random (a fresh one's is zero and changes nothing), the
    /// first linear site, and a batch-2 input for it.
    func activeRedMembrane(seed: UInt64) -> (membrane: Membrane, site: AdapterSite, input: Tensor) {
        let sites = Fixtures.model.unet.adapterSites
        var red = Membrane(sites: sites, targets: ["red"], seed: 1)
        var rng = RandomSource(seed: seed)
        for (k, l) in red.layers { red.layers[k]?.up = Tensor.randn(l.up.shape, using: &rng) }
        let site = sites.first { if case .linear = $0.layer { return true } else { return false } }!
        guard case .linear(let nIn, _) = site.layer else { fatalError("not a linear site") }
        return (red, site, Tensor.randn([2, 3, nIn], using: &rng))
    }

    func testFixedWeightActsOnEveryRowAndZeroOnNone() throws {
        let (red, site, x) = activeRedMembrane(seed: 4)
        let rows = ["a red circle", "a blue square"]

        let zero = try XCTUnwrap(Transport.fixed(0).provider(membranes: [red], model: Fixtures.model))
        XCTAssertNil(zero(rows)?.delta(path: site.path, input: x, layer: site.layer))

        let full = try XCTUnwrap(Transport.fixed(1).provider(membranes: [red], model: Fixtures.model))
        let delta = try XCTUnwrap(full(rows)?.delta(path: site.path, input: x, layer: site.layer))
        let expected = try XCTUnwrap(MembraneAdapter(membranes: [red], multiplier: 1, rows: 2).delta(path: site.path, input: x, layer: site.layer))
        XCTAssertEqual(delta.scalars, expected.scalars)
    }

    func testFacilitatedActsOnlyOnRowsNamingTheTarget() throws {
        let (red, site, x) = activeRedMembrane(seed: 5)
        let provider = try XCTUnwrap(Transport.facilitated(.tokens).provider(membranes: [red], model: Fixtures.model))
        let delta = try XCTUnwrap(provider(["a blue square", "a red circle"])?.delta(path: site.path, input: x, layer: site.layer))
        XCTAssertTrue(delta.slice(axis: 0, range: 0..<1).scalars.allSatisfy { $0 == 0 })
        let full = try XCTUnwrap(MembraneAdapter(membranes: [red], multiplier: 1, rows: 2).delta(path: site.path, input: x, layer: site.layer))
        XCTAssertEqual(delta.slice(axis: 0, range: 1..<2).scalars, full.slice(axis: 0, range: 1..<2).scalars)
        XCTAssertNil(provider(["a blue square", "a green cross"])?.delta(path: site.path, input: x, layer: site.layer))
    }
    func testReferenceTransportSumsMembranesWithGammaOnBothFactors() throws {
        let (red, site, x) = activeRedMembrane(seed: 6)
        var square = Membrane(sites: Fixtures.model.unet.adapterSites, targets: ["square"], seed: 2)
        var rng = RandomSource(seed: 7)
        for (k, l) in square.layers { square.layers[k]?.up = Tensor.randn(l.up.shape, using: &rng) }
        let rows = ["a red circle", "a blue square"]
        let gammas = FacilitatedTransport(rule: .reference).multipliers(rowPrompts: rows, membranes: [red, square], model: Fixtures.model)
        // Transport reports gamma itself, the factor on each of a membrane's two weights.
        XCTAssertEqual(Transport.facilitated(.reference).multipliers(prompts: rows, membranes: [red, square], model: Fixtures.model), gammas)
        let provider = try XCTUnwrap(Transport.facilitated(.reference).provider(membranes: [red, square], model: Fixtures.model))
        let adapter = try XCTUnwrap(provider(rows))
        XCTAssertTrue(adapter is ReferenceMembraneAdapter)
        let delta = try XCTUnwrap(adapter.delta(path: site.path, input: x, layer: site.layer))
        let expected = try XCTUnwrap(ReferenceMembraneAdapter(membranes: [red, square], gammas: gammas).delta(path: site.path, input: x, layer: site.layer))
        XCTAssertEqual(delta.scalars, expected.scalars)
        // The token rule keeps separate terms, each membrane at its multiplier once.
        let tokens = try XCTUnwrap(Transport.facilitated(.tokens).provider(membranes: [red, square], model: Fixtures.model)?(rows))
        XCTAssertTrue(tokens is MembraneAdapter)
    }
}
