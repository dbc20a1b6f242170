import Foundation
import SafeTensors
import StableDiffusion
import TensorEngine
import TestSupport
import XCTest

/// Loading models from diffusers folders: half-precision checkpoints and broken inputs.
final class ModelLoadingTests: XCTestCase {
    var scratch: URL!

    override func setUpWithError() throws {
        scratch = FileManager.default.temporaryDirectory.appendingPathComponent("membrane-model-\(UUID().uuidString)")
        try FileManager.default.copyItem(at: Fixtures.modelA, to: scratch)
    }

    override func tearDownWithError() throws {
        try? FileManager.default.removeItem(at: scratch)
    }

    /// Rewrites a component's weights with `transform` applied to the writer.
    func rewrite(_ component: String, file: String, _ transform: (SafeTensorsFile, inout SafeTensorsWriter) throws -> Void) throws {
        let url = scratch.appendingPathComponent(component).appendingPathComponent(file)
        let original = try SafeTensorsFile(url: url)
        var writer = SafeTensorsWriter(metadata: original.metadata)
        try transform(original, &writer)
        try writer.write(to: url)
    }

    func convertAll(to dtype: SafeTensorsDType) throws {
        for (component, file) in [("unet", "diffusion_pytorch_model.safetensors"), ("text_encoder", "model.safetensors"),
                                  ("vae", "diffusion_pytorch_model.safetensors")] {
            try rewrite(component, file: file) { original, writer in
                for name in original.names {
                    try writer.add(name, floats: try original.floats(name), shape: try original.info(name).shape, as: dtype)
                }
            }
        }
    }

    func checkHalfPrecision(_ dtype: SafeTensorsDType, tolerance: Double) throws {
        try convertAll(to: dtype)
        let half = try StableDiffusionModel(directory: scratch)
        let full = Fixtures.model
        let x = try Fixtures.tensor("unet.x"), ctx = try Fixtures.tensor("unet.ctx")
        let t = try Fixtures.ints("unet.t").map(Float.init)
        let a = half.unet(x, timesteps: t, context: ctx), b = full.unet(x, timesteps: t, context: ctx)
        XCTAssertLessThan(relativeError(a, b), tolerance, "\(dtype) UNet")
        let ea = half.encode(prompts: ["a red circle"]), eb = full.encode(prompts: ["a red circle"])
        XCTAssertLessThan(relativeError(ea, eb), tolerance, "\(dtype) text encoder")
        // The VAE on a real denoised latent: pictures in [-1, 1] compared pixel by pixel.
        let z = try Fixtures.tensor("ddim.latent") * (1 / full.vae.config.scalingFactor)
        let (pa, pb) = (half.vae.decode(z).scalars, full.vae.decode(z).scalars)
        var worst: Float = 0
        for i in pa.indices { worst = max(worst, abs(pa[i] - pb[i])) }
        print("\(dtype) VAE: relative \(relativeError(half.vae.decode(z), full.vae.decode(z))), worst pixel \(worst)")
        XCTAssertLessThan(relativeError(half.vae.decode(z), full.vae.decode(z)), tolerance, "\(dtype) VAE")
    }

    func testFloat16CheckpointMatches() throws { try checkHalfPrecision(.f16, tolerance: 1e-3) }

    func testBFloat16CheckpointMatches() throws {
        // bfloat16 keeps 8 mantissa bits: weights differ by up to 0.4%, and the errors of a
        // dozen layers add up to about 1% in the outputs.
        try checkHalfPrecision(.bf16, tolerance: 2e-2)
    }

    func expectError(_ contains: [String], file: StaticString = #filePath, line: UInt = #line) {
        XCTAssertThrowsError(try StableDiffusionModel(directory: scratch), file: file, line: line) { error in
            let text = "\(error)"
            for c in contains { XCTAssertTrue(text.contains(c), "'\(text)' lacks '\(c)'", file: file, line: line) }
        }
    }

    func testMissingTensorIsNamed() throws {
        try rewrite("unet", file: "diffusion_pytorch_model.safetensors") { original, writer in
            for name in original.names where name != "mid_block.attentions.0.proj_in.weight" {
                try writer.add(name, floats: try original.floats(name), shape: try original.info(name).shape)
            }
        }
        expectError(["diffusion_pytorch_model.safetensors", "mid_block.attentions.0.proj_in.weight", "missing"])
    }

    func testWrongShapeIsNamed() throws {
        try rewrite("unet", file: "diffusion_pytorch_model.safetensors") { original, writer in
            for name in original.names {
                var shape = try original.info(name).shape
                var values = try original.floats(name)
                if name == "conv_in.bias" { shape = [shape[0] + 1]; values.append(0) }
                try writer.add(name, floats: values, shape: shape)
            }
        }
        expectError(["conv_in.bias", "[33]", "[32]"])
    }

    func testUnknownBlockTypeIsRefused() throws {
        let url = scratch.appendingPathComponent("unet/config.json")
        var text = try String(contentsOf: url, encoding: .utf8)
        text = text.replacingOccurrences(of: "\"DownBlock2D\"", with: "\"SimpleCrossAttnDownBlock2D\"")
        try text.write(to: url, atomically: true, encoding: .utf8)
        expectError(["unet/config.json", "SimpleCrossAttnDownBlock2D", "not supported"])
    }

    func testSDXLOptionIsRefusedByName() throws {
        let url = scratch.appendingPathComponent("unet/config.json")
        var text = try String(contentsOf: url, encoding: .utf8)
        text = text.replacingOccurrences(of: "\"addition_embed_type\": null", with: "\"addition_embed_type\": \"text_time\"")
        try text.write(to: url, atomically: true, encoding: .utf8)
        expectError(["addition_embed_type: text_time", "SDXL"])
    }

    func testTruncatedWeightsFileIsNamed() throws {
        let url = scratch.appendingPathComponent("vae/diffusion_pytorch_model.safetensors")
        let data = try Data(contentsOf: url)
        try data.prefix(data.count / 2).write(to: url)
        expectError(["vae/diffusion_pytorch_model.safetensors"])
    }

    func testInvalidConfigJSONIsNamed() throws {
        try "{ not json".write(to: scratch.appendingPathComponent("text_encoder/config.json"), atomically: true, encoding: .utf8)
        expectError(["text_encoder/config.json", "not valid JSON"])
    }

    func testMissingFolderIsNamed() throws {
        try FileManager.default.removeItem(at: scratch.appendingPathComponent("tokenizer"))
        expectError(["tokenizer"])
    }

    func testLinearProjectionAndHeadListConfigsBuild() throws {
        // Configs written for SD 2.x-style options: linear projections and per-block head counts.
        var config = Fixtures.model.unet.config
        config.useLinearProjection = true
        config.attentionHeadDim = IntOrList([2, 4, 4])
        let unet = try UNet(config: config, weights: Weights(SyntheticSource(seed: 3)))
        var rng = RandomSource(seed: 4)
        let out = unet(Tensor.randn([1, 4, 16, 16], using: &rng), timesteps: [10], context: Tensor.randn([1, 77, 64], using: &rng))
        XCTAssertEqual(out.shape, [1, 4, 16, 16])
        XCTAssertTrue(out.scalars.allSatisfy { $0.isFinite })
        XCTAssertEqual(unet.adapterSites.filter { if case .linear = $0.layer { return $0.path.hasSuffix("proj_in") } else { return false } }.count,
                       unet.adapterSites.filter { $0.path.hasSuffix("proj_in") }.count)
    }
}
