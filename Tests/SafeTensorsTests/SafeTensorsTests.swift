import Foundation
import XCTest
@testable import SafeTensors

/// `../shared` next to the repository root (two levels above this file's directory).
let sharedDirectory: URL = URL(fileURLWithPath: #filePath)
    .deletingLastPathComponent()   // Tests/SafeTensorsTests
    .deletingLastPathComponent()   // Tests
    .deletingLastPathComponent()   // repository root
    .appendingPathComponent("../shared")
    .standardizedFileURL

/// A fresh empty directory under the system temporary directory.
func makeTemporaryDirectory() throws -> URL {
    let url = FileManager.default.temporaryDirectory
        .appendingPathComponent("safetensors-tests-\(UUID().uuidString)")
    try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
    return url
}

/// Reading the real model and golden files shipped in `../shared`.
final class SafeTensorsTests: XCTestCase {
    let unetURL = sharedDirectory.appendingPathComponent(
        "models/shapesworld-a/unet/diffusion_pytorch_model.safetensors")
    let goldenURL = sharedDirectory.appendingPathComponent("fixtures/golden-shapesworld-a.safetensors")

    func testReadsShapesworldUNet() throws {
        let file = try SafeTensorsFile(url: unetURL)
        XCTAssertGreaterThan(file.count, 100)
        XCTAssertEqual(file.names, file.names.sorted())
        XCTAssertEqual(file.metadata["format"], "pt")

        let info = try file.info("conv_in.weight")
        XCTAssertEqual(info.shape, [32, 4, 3, 3])
        XCTAssertEqual(info.dtype, .f32)
        let weights = try file.floats("conv_in.weight")
        XCTAssertEqual(weights.count, 32 * 4 * 3 * 3)
        XCTAssertTrue(weights.allSatisfy { $0.isFinite })
        XCTAssertTrue(weights.contains { $0 != 0 })

        let viaBuffer: [Float] = try file.withFloatBuffer("conv_in.weight") { Array($0) }
        XCTAssertEqual(viaBuffer, weights)
    }

    func testEveryUNetTensorIsReadable() throws {
        let file = try SafeTensorsFile(url: unetURL)
        var total = 0
        for name in file.names {
            let info = try file.info(name)
            let values = try file.floats(name)
            XCTAssertEqual(values.count, info.count, name)
            total += values.count
        }
        XCTAssertGreaterThan(total, 2_000_000)
    }

    func testGoldenMetadataAndTokens() throws {
        let file = try SafeTensorsFile(url: goldenURL)
        XCTAssertEqual(file.metadata["model"], "shapesworld-a")
        let promptsJSON = try XCTUnwrap(file.metadata["prompts"])
        let prompts = try JSONDecoder().decode([String].self, from: Data(promptsJSON.utf8))
        XCTAssertEqual(prompts, ["a red circle", "", "a photo of a striped blue square on a gray background",
                                 "an orange triangle that is orange"])

        let info = try file.info("tokens.0")
        XCTAssertEqual(info.dtype, .i64)
        XCTAssertEqual(info.shape, [77])
        let tokens = try file.int64s("tokens.0")
        XCTAssertEqual(Array(tokens.prefix(5)), [144, 22, 119, 132, 145])
        XCTAssertEqual(tokens.count, 77)
        XCTAssertTrue(tokens.dropFirst(4).allSatisfy { $0 == 145 })

        let timesteps = try file.int64s("unet.t")
        XCTAssertEqual(timesteps, [981, 20])
        XCTAssertEqual(try file.info("unet.x").shape, [2, 4, 16, 16])
    }

    func testAccessorErrorsNameFileAndTensor() throws {
        let file = try SafeTensorsFile(url: goldenURL)
        do {
            _ = try file.floats("no.such.tensor")
            XCTFail("expected an error")
        } catch let error as SafeTensorsError {
            XCTAssertEqual(error.kind, .missingTensor)
            XCTAssertTrue(error.description.contains(goldenURL.path), error.description)
            XCTAssertTrue(error.description.contains("'no.such.tensor'"), error.description)
        }
        do {
            _ = try file.floats("tokens.0")
            XCTFail("expected an error")
        } catch let error as SafeTensorsError {
            XCTAssertEqual(error.kind, .wrongDType)
            XCTAssertTrue(error.description.contains("I64"), error.description)
        }
        do {
            _ = try file.int64s("unet.x")
            XCTFail("expected an error")
        } catch let error as SafeTensorsError {
            XCTAssertEqual(error.kind, .wrongDType)
        }
    }

    func testOpeningMissingPathOrDirectoryFails() throws {
        let missing = sharedDirectory.appendingPathComponent("no-such-file.safetensors")
        XCTAssertThrowsError(try SafeTensorsFile(url: missing)) { error in
            XCTAssertEqual((error as? SafeTensorsError)?.kind, .io)
            XCTAssertTrue("\(error)".contains("no-such-file.safetensors"))
        }
        XCTAssertThrowsError(try SafeTensorsFile(url: sharedDirectory)) { error in
            XCTAssertEqual((error as? SafeTensorsError)?.kind, .io)
        }
    }
}
