import Foundation
@testable import Membranes
@testable import StableDiffusion
import TensorEngine
import TestSupport
import XCTest

/// The pass "SD v1.5 UNet forward + backward" times (MembraneBench): gradients reach the
/// membrane only, and they are the gradients of the mean squared output.
final class MembraneGradientPassTests: XCTestCase {
    /// A shapesworld-a-sized UNet with random weights and a membrane whose `up` is non-zero, so
    /// both factors of every layer get a non-zero gradient.
    func makeSetup() throws -> (unet: UNet, membrane: Membrane, x: Tensor, ctx: Tensor) {
        let unet = try UNet(config: Fixtures.model.unet.config, weights: Weights(SyntheticSource(seed: 5)))
        var membrane = Membrane(sites: unet.adapterSites, targets: ["test"], rank: 1, seed: 3)
        var rng = RandomSource(seed: 9)
        for (path, layer) in membrane.layers {
            membrane.layers[path] = MembraneLayer(site: layer.site, down: layer.down, up: Tensor.randn(layer.up.shape, using: &rng) * 0.5)
        }
        let x = Tensor.randn([1, 4, 16, 16], using: &rng)
        let ctx = Tensor.randn([1, 77, unet.config.crossAttentionDim.value(at: 0)], using: &rng)
        return (unet, membrane, x, ctx)
    }

    func testGradientsReachTheMembraneAndNothingElse() throws {
        let (unet, frozen, x, ctx) = try makeSetup()
        let membrane = frozen.trainable()
        let loss = MembraneGradientPass.run(unet: unet, membrane: membrane, latents: x, timesteps: [500], context: ctx)
        XCTAssertTrue(loss.isFinite && loss > 0)
        XCTAssertEqual(membrane.layers.count, unet.adapterSites.count)
        for (path, layer) in membrane.layers {
            for p in [layer.down, layer.up] {
                let grad = try XCTUnwrap(p.grad, "no gradient on \(path)")
                XCTAssertEqual(grad.shape, p.shape, path)
                XCTAssertTrue(grad.scalars.contains { $0 != 0 }, "zero gradient on \(path)")
            }
        }
        // Frozen weights, the input and the context stay constants: no gradient is recorded.
        XCTAssertFalse(unet.convIn.weight.requiresGrad)
        XCTAssertNil(unet.convIn.weight.grad)
        XCTAssertFalse(x.requiresGrad || ctx.requiresGrad)
        XCTAssertFalse(frozen.parameters.contains { $0.requiresGrad })
    }

    func testGradientIsTheDerivativeOfTheMeanSquaredOutput() throws {
        let (unet, frozen, x, ctx) = try makeSetup()
        let membrane = frozen.trainable()
        let loss = MembraneGradientPass.run(unet: unet, membrane: membrane, latents: x, timesteps: [500], context: ctx)
        // The up entry with the largest gradient, moved by +-h: central difference of the loss.
        let path = try XCTUnwrap(membrane.layers.keys.sorted().first)
        let layer = try XCTUnwrap(membrane.layers[path])
        let grad = try XCTUnwrap(layer.up.grad).scalars
        let i = try XCTUnwrap(grad.indices.max { abs(grad[$0]) < abs(grad[$1]) })
        func lossWith(up delta: Float) -> Float {
            var values = layer.up.scalars
            values[i] += delta
            var moved = frozen
            moved.layers[path] = MembraneLayer(site: layer.site, down: layer.down.detached, up: Tensor(shape: layer.up.shape, values: values))
            let adapter = MembraneAdapter(membranes: [moved], multiplier: 1, rows: 1)
            let out = withoutGradient { unet(x, timesteps: [500], context: ctx, adapter: adapter) }
            return (out * out).mean().scalars[0]
        }
        let h: Float = 0.05
        let numeric = (lossWith(up: h) - lossWith(up: -h)) / (2 * h)
        XCTAssertEqual(lossWith(up: 0), loss, accuracy: abs(loss) * 1e-4)
        XCTAssertEqual(numeric, grad[i], accuracy: abs(grad[i]) * 0.05 + 1e-6)
    }
}
