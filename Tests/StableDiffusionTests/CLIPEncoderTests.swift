import Foundation
import StableDiffusion
import TensorEngine
import XCTest

/// The CLIP encoder shared by the SD text encoder and the CLIP image tower: activation from the
/// config, causal or full attention.
final class CLIPEncoderTests: XCTestCase {
    func geometry(_ activation: CLIPActivation) -> CLIPEncoderGeometry {
        CLIPEncoderGeometry(hiddenSize: 8, intermediateSize: 16, layers: 2, heads: 2, layerNormEps: 1e-5, activation: activation)
    }

    /// With the causal mask token 0 ignores later tokens; without it, it does not.
    func testCausalMaskOnlyWhenAsked() throws {
        let encoder = try CLIPEncoder(Weights(SyntheticSource(seed: 3))["encoder"], geometry: geometry(.quickGelu))
        var rng = RandomSource(seed: 9)
        let x = Tensor.randn([1, 3, 8], using: &rng)
        var changed = x.scalars
        for i in 8..<24 { changed[i] += 1 }
        let y = Tensor(shape: [1, 3, 8], values: changed)
        let first = { (t: Tensor) in Array(t.scalars.prefix(8)) }
        XCTAssertEqual(first(encoder(x, causal: true)), first(encoder(y, causal: true)))
        XCTAssertNotEqual(first(encoder(x, causal: false)), first(encoder(y, causal: false)))
    }

    /// The activation changes the output: gelu and quick_gelu differ on the same weights.
    func testActivationIsApplied() throws {
        let quick = try CLIPEncoder(Weights(SyntheticSource(seed: 5))["encoder"], geometry: geometry(.quickGelu))
        let exact = try CLIPEncoder(Weights(SyntheticSource(seed: 5))["encoder"], geometry: geometry(.gelu))
        var rng = RandomSource(seed: 1)
        let x = Tensor.randn([1, 2, 8], using: &rng)
        XCTAssertNotEqual(quick(x, causal: false).scalars, exact(x, causal: false).scalars)
        let v = Tensor(shape: [3], values: [-1, 0.5, 2])
        let gelu = CLIPActivation.gelu, quickGelu = CLIPActivation.quickGelu
        XCTAssertEqual(gelu(v).scalars, v.gelu().scalars)
        XCTAssertEqual(quickGelu(v).scalars, v.quickGelu().scalars)
    }

    /// `hidden_act` decodes to the activation; unknown ones are refused naming the file.
    func testHiddenActFromConfig() throws {
        XCTAssertEqual(try CLIPTextConfig.load(["hidden_act": "gelu"], path: "/x/config.json").activation, .gelu)
        XCTAssertEqual(try CLIPTextConfig.load([:], path: "/x/config.json").activation, .quickGelu)
        XCTAssertThrowsError(try CLIPTextConfig.load(["hidden_act": "gelu_new"], path: "/x/config.json")) { error in
            XCTAssertEqual(error as? ModelError, .unsupported(file: "/x/config.json", option: "hidden_act: gelu_new", reason: "known: quick_gelu, gelu"))
        }
    }
}
