import Foundation
import StableDiffusion
import TensorEngine
import TestSupport
import XCTest

/// Every component of shapesworld-a against the PyTorch reference outputs.
final class GoldenTests: XCTestCase {
    let prompts = ["a red circle", "", "a photo of a striped blue square on a gray background", "an orange triangle that is orange"]

    func testTokenizerMatchesReferenceIDs() throws {
        for (i, p) in prompts.enumerated() {
            let ids = Fixtures.model.tokenizer.encode(p).map(Int64.init)
            XCTAssertEqual(ids, try Fixtures.ints("tokens.\(i)"), "prompt \(i): \(p)")
        }
    }

    func testTextEncoderMatchesReference() throws {
        for (i, p) in prompts.enumerated() {
            let out = Fixtures.model.encode(prompts: [p])
            let expected = try Fixtures.tensor("text.\(i)")
            XCTAssertEqual(out.shape, expected.shape)
            XCTAssertLessThan(relativeError(out, expected), 1e-4, "text.\(i)")
        }
    }

    func testUNetMatchesReference() throws {
        let x = try Fixtures.tensor("unet.x"), ctx = try Fixtures.tensor("unet.ctx")
        let t = try Fixtures.ints("unet.t").map(Float.init)
        let eps = Fixtures.model.unet(x, timesteps: t, context: ctx)
        let expected = try Fixtures.tensor("unet.eps")
        XCTAssertEqual(eps.shape, expected.shape)
        XCTAssertLessThan(relativeError(eps, expected), 1e-4)
    }

    func testVAEDecoderMatchesReference() throws {
        let z = try Fixtures.tensor("vae.z")
        let image = Fixtures.model.vae.decode(z * (1 / Fixtures.model.vae.config.scalingFactor))
        let expected = try Fixtures.tensor("vae.image")
        XCTAssertEqual(image.shape, expected.shape)
        XCTAssertLessThan(relativeError(image, expected), 1e-4)
    }

    func testDDIMTenStepsMatchReference() throws {
        var scheduler = DDIMScheduler(config: Fixtures.model.scheduler)
        scheduler.setTimesteps(10)
        XCTAssertEqual(scheduler.timesteps.map(Int64.init), try Fixtures.ints("ddim.timesteps"))
        let noise = try Fixtures.tensor("ddim.noise")
        var request = GenerationRequest(prompts: [prompts[0]])
        request.steps = 10
        request.guidance = 5
        let latent = try Fixtures.model.sample(prompts: [prompts[0]], noise: [noise.reshaped(Array(noise.shape.dropFirst()))],
                                               request: request, adapter: nil)
        XCTAssertLessThan(relativeError(latent, try Fixtures.tensor("ddim.latent")), 1e-4)
    }

    func testVAEEncoderRoundTripIsClose() throws {
        // The encoder has no golden: encoding the picture decoded from a real denoised latent
        // (the DDIM golden) must give back that picture when decoded again.
        let vae = Fixtures.model.vae
        let image = vae.decode(try Fixtures.tensor("ddim.latent") * (1 / vae.config.scalingFactor))
        let again = vae.decode(vae.encode(image))
        print("VAE round trip relative error:", relativeError(again, image))
        XCTAssertLessThan(relativeError(again, image), 0.1)
    }
}
