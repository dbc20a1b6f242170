import Foundation
import SafeTensors
import XCTest
@testable import CLIP

/// Embeddings of the two fixture models against transformers' (goldens by make_clip_fixture.py).
final class CLIPGoldenTests: XCTestCase {
    func check(_ folder: URL, _ name: String) throws {
        let model = try CLIPModel.load(folder: folder)
        let g = try CLIPFixtures.goldens(name)
        // Text: the tokenizer's ids, then features and pooled embeddings.
        let prompts = try CLIPFixtures.prompts(g)
        XCTAssertEqual(prompts.map { model.tokenizer.encode($0) }, try CLIPFixtures.idRows(g, "input_ids"), name)
        let text = model.textEmbeddings(prompts, normalized: false)
        let textGolden = try CLIPFixtures.rows(g, "text_features")
        var textError: Float = 0
        for (a, b) in zip(text, textGolden) { textError = max(textError, CLIPFixtures.maxError(a, b)) }
        XCTAssertLessThan(textError, 1e-4, "\(name) text features")
        // Images: already sized within 1e-4, through resize within 1e-3.
        var imageErrors: [String: Float] = [:]
        for key in try CLIPFixtures.imageNames(g) {
            let image = try CLIPFixtures.image(g, "image.\(key)")
            let features = try XCTUnwrap(try model.imageEmbeddings([image], normalized: false).first)
            let golden = try g.floats("image_features.\(key)")
            imageErrors[key] = CLIPFixtures.maxError(features, golden)
            XCTAssertLessThan(imageErrors[key] ?? 1, key == "sized" ? 1e-4 : 1e-3, "\(name) image \(key)")
        }
        print("\(name): text max error \(textError), image max errors \(imageErrors)")
    }

    func testQuickGeluFixtureMatchesTransformers() throws { try check(CLIPFixtures.quickGelu, "quickgelu") }
    func testGeluFixtureMatchesTransformers() throws { try check(CLIPFixtures.gelu, "gelu") }
}

/// Normalised embeddings and scores against CLIPModel's own outputs.
final class CLIPScoreTests: XCTestCase {
    /// `scores` is 100 x the cosine CLIPModel computes (its logits over exp(logit_scale)).
    func testScoresAreHundredTimesTransformersCosine() throws {
        let model = try CLIPModel.load(folder: CLIPFixtures.quickGelu)
        let g = try CLIPFixtures.goldens("quickgelu")
        let prompts = try CLIPFixtures.prompts(g)
        let cosine = try CLIPFixtures.rows(g, "cosine")
        for (i, key) in try CLIPFixtures.imageNames(g).enumerated() {
            let scores = try model.scores(image: try CLIPFixtures.image(g, "image.\(key)"), texts: prompts)
            XCTAssertLessThan(CLIPFixtures.maxError(scores, cosine[i].map { 100 * $0 }), 1e-3 * 100, key)
        }
        XCTAssertEqual(model.logitScale, Float(exp(3.0)), accuracy: 1e-4)
    }

    func testNormalisedEmbeddingsHaveUnitLength() throws {
        let model = try CLIPModel.load(folder: CLIPFixtures.gelu)
        let g = try CLIPFixtures.goldens("gelu")
        let text = model.textEmbeddings(try CLIPFixtures.prompts(g))
        let golden = try CLIPFixtures.rows(g, "text_features").map(CLIPFixtures.normalized)
        for (a, b) in zip(text, golden) {
            XCTAssertEqual(a.reduce(0) { $0 + $1 * $1 }, 1, accuracy: 1e-5)
            XCTAssertLessThan(CLIPFixtures.maxError(a, b), 1e-4)
        }
        XCTAssertEqual(model.textEmbeddings([]).count, 0)
        XCTAssertEqual(try model.imageEmbeddings([]).count, 0)
    }

    /// The same model stored as float16 reads (and stays close to the float32 goldens).
    func testFloat16WeightsLoad() throws {
        let scratch = FileManager.default.temporaryDirectory.appendingPathComponent("membrane-clip16-\(UUID().uuidString)")
        try FileManager.default.copyItem(at: CLIPFixtures.quickGelu, to: scratch)
        defer { try? FileManager.default.removeItem(at: scratch) }
        let url = scratch.appendingPathComponent("model.safetensors")
        let file = try SafeTensorsFile(url: url)
        var writer = SafeTensorsWriter()
        for name in file.names { try writer.add(name, floats: try file.floats(name), shape: try file.info(name).shape, as: .f16) }
        try writer.write(to: url)
        XCTAssertEqual(try SafeTensorsFile(url: url).info("visual_projection.weight").dtype, .f16)
        let model = try CLIPModel.load(folder: scratch)
        let g = try CLIPFixtures.goldens("quickgelu")
        let text = model.textEmbeddings(try CLIPFixtures.prompts(g))
        let golden = try CLIPFixtures.rows(g, "text_features").map(CLIPFixtures.normalized)
        for (a, b) in zip(text, golden) { XCTAssertLessThan(CLIPFixtures.maxError(a, b), 2e-2) }
    }
}
