import Foundation
import Membranes
import StableDiffusion
import TensorEngine
import TestSupport
import XCTest

/// The reference code's way of applying membranes (gamma on both factors, membranes summed into
/// one network), checked on the whole ShapesWorld UNet against independent formulas.
final class ReferenceMembraneAdapterTests: XCTestCase {
    let sites = Fixtures.model.unet.adapterSites

    /// A rank-1 membrane with random `down` and `up` (a fresh one's `up` is zero and changes
    /// nothing), at `alpha`.
    func randomMembrane(_ target: String, seed: UInt64, alpha: Float = 1) -> Membrane {
        let fresh = Membrane(sites: sites, targets: [target], rank: 1, seed: seed)
        var rng = RandomSource(seed: seed + 1000)
        var membrane = fresh.replacingParameters(fresh.parameters.map { Tensor.randn($0.shape, using: &rng) * 0.15 })
        membrane.alpha = alpha
        return membrane
    }

    /// The membrane whose every layer is `up` of `upFrom` after `down` of `downFrom`, at `alpha`:
    /// one cross term of the summed network.
    func crossMembrane(up upFrom: Membrane, down downFrom: Membrane, alpha: Float) -> Membrane {
        var cross = upFrom
        for path in upFrom.layers.keys { cross.layers[path]?.down = downFrom.layers[path]!.down }
        cross.alpha = alpha
        return cross
    }

    /// `rows` random latents with prompts of the world and a timestep each.
    func batch(rows: Int) -> (x: Tensor, timesteps: [Float], context: Tensor) {
        let golden = try! Fixtures.tensor("unet.x")
        var rng = RandomSource(seed: 21)
        let x = Tensor.randn([rows] + Array(golden.shape.dropFirst()), using: &rng)
        let prompts = ["a red circle", "a blue square on a black background", "a striped green triangle", "a yellow cross"]
        let context = Fixtures.model.encode(prompts: (0..<rows).map { prompts[$0 % prompts.count] })
        return (x, (0..<rows).map { Float(900 - 250 * $0) }, context)
    }

    /// The UNet's prediction for ``batch(rows:)`` under `adapter`; recorded (the batch in one
    /// pass) unless `split`, which runs blocks of rows on their own cores.
    func eps(_ adapter: LayerAdapter?, rows: Int, split: Bool = true) -> Tensor {
        let (x, timesteps, context) = batch(rows: rows)
        let run = { Fixtures.model.unet(x, timesteps: timesteps, context: context, adapter: adapter) }
        return split ? withoutGradient(run) : run()
    }

    func row(_ t: Tensor, _ r: Int) -> Tensor { t.slice(axis: 0, range: r..<(r + 1)) }

    func testOneMembraneActsWithGammaSquared() {
        let red = randomMembrane("red", seed: 1)
        let plain = eps(nil, rows: 2)
        for gammas: [Float] in [[0.7, 0.7], [0.9, 0.35]] {
            let reference = eps(ReferenceMembraneAdapter(membranes: [red], gammas: [gammas]), rows: 2)
            let squared = eps(MembraneAdapter([(membrane: red, multipliers: gammas.map { $0 * $0 })]), rows: 2)
            XCTAssertLessThan(relativeError(reference, squared), 1e-5, "\(gammas)")
            XCTAssertGreaterThan(relativeError(reference, plain), 1e-2, "the membrane must act")
            // Not the plain multiplier gamma.
            let once = eps(MembraneAdapter([(membrane: red, multipliers: gammas)]), rows: 2)
            XCTAssertGreaterThan(relativeError(reference, once), 1e-2, "\(gammas)")
        }
    }

    func testTwoMembranesInteractThroughCrossTerms() {
        // delta(x) = scale * (g1 up1 + g2 up2)(g1 down1 x + g2 down2 x), scale from the first
        // membrane: four separate terms up_i(down_j x) at multipliers g_i g_j.
        let red = randomMembrane("red", seed: 2, alpha: 2), square = randomMembrane("square", seed: 3, alpha: 0.5)
        let g1: [Float] = [0.8, 0.3], g2: [Float] = [0.6, 0.9]
        let reference = eps(ReferenceMembraneAdapter(membranes: [red, square], gammas: [g1, g2]), rows: 2, split: false)
        let pairs: [(Membrane, [Float], Membrane, [Float])] = [(red, g1, red, g1), (red, g1, square, g2), (square, g2, red, g1), (square, g2, square, g2)]
        let terms = pairs.map { up, gu, down, gd in
            (membrane: crossMembrane(up: up, down: down, alpha: red.alpha), multipliers: zip(gu, gd).map { $0 * $1 })
        }
        let explicit = eps(MembraneAdapter(terms), rows: 2, split: false)
        let error = relativeError(reference, explicit)
        XCTAssertLessThan(error, 1e-5)
        // Membrane's own composition: separate terms, each with its gamma once or squared.
        let separate = eps(MembraneAdapter([(red, g1), (square, g2)]), rows: 2, split: false)
        let separateSquared = eps(MembraneAdapter([(red, zip(g1, g1).map(*)), (square, zip(g2, g2).map(*))]), rows: 2, split: false)
        for other in [separate, separateSquared] {
            XCTAssertGreaterThan(relativeError(reference, other), 1e-2)
            XCTAssertGreaterThan(relativeError(reference, other), 1000 * error)
        }
    }

    func testEveryRowGetsItsOwnGammasAsIfAlone() {
        // Rows 1 and 2 share their gammas (one summed network for both); rows 0 and 3 differ.
        let red = randomMembrane("red", seed: 4), square = randomMembrane("square", seed: 5, alpha: 1.5)
        let gammas: [[Float]] = [[0.9, 0.4, 0.4, 0.1], [0.2, 0.7, 0.7, 1.0]]
        let adapter = ReferenceMembraneAdapter(membranes: [red, square], gammas: gammas)
        let recorded = eps(adapter, rows: 4, split: false), split = eps(adapter, rows: 4)
        XCTAssertLessThan(relativeError(recorded, split), 1e-6)
        let (x, timesteps, context) = batch(rows: 4)
        for r in 0..<4 {
            let alone = ReferenceMembraneAdapter(membranes: [red, square], gammas: gammas.map { [$0[r]] })
            let out = withoutGradient {
                Fixtures.model.unet(row(x, r), timesteps: [timesteps[r]], context: row(context, r), adapter: alone)
            }
            XCTAssertLessThan(relativeError(row(recorded, r), out), 1e-5, "row \(r)")
        }
    }

    func testGammaZeroRowsAreTheBaseModelExactly() {
        let red = randomMembrane("red", seed: 6), square = randomMembrane("square", seed: 7)
        for split in [false, true] {
            let plain = eps(nil, rows: 3, split: split)
            let mixed = eps(ReferenceMembraneAdapter(membranes: [red, square], gammas: [[0, 0.8, 0], [0, 0.5, 0]]), rows: 3, split: split)
            XCTAssertEqual(row(mixed, 0).scalars, row(plain, 0).scalars)
            XCTAssertEqual(row(mixed, 2).scalars, row(plain, 2).scalars)
            XCTAssertGreaterThan(relativeError(row(mixed, 1), row(plain, 1)), 1e-2)
            let off = eps(ReferenceMembraneAdapter(membranes: [red, square], gammas: [[0, 0, 0], [0, 0, 0]]), rows: 3, split: split)
            XCTAssertEqual(off.scalars, plain.scalars)
        }
    }

    func testNoLayerTermWhereNoMembraneSitsOrAllGammasAreZero() {
        let red = randomMembrane("red", seed: 8)
        let site = sites[0]
        let x = Tensor.zeros([1, 1])
        XCTAssertNil(ReferenceMembraneAdapter(membranes: [red], gammas: [[0]]).delta(path: site.path, input: x, layer: site.layer))
        XCTAssertNil(ReferenceMembraneAdapter(membranes: [red], gammas: [[1]]).delta(path: "no.such.layer", input: x, layer: site.layer))
    }
}
