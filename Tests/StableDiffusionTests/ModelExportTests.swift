import Foundation
import SafeTensors
import StableDiffusion
import TestSupport
import XCTest

/// `membrane convert`'s writer: folder <-> single file, byte for byte.
final class ModelExportTests: XCTestCase {
    var scratch: URL!

    override func setUpWithError() throws {
        scratch = FileManager.default.temporaryDirectory.appendingPathComponent("membrane-export-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: scratch, withIntermediateDirectories: true)
    }

    override func tearDownWithError() throws { try? FileManager.default.removeItem(at: scratch) }

    /// Every tensor of every component: diffusers name -> (dtype, shape, bytes).
    func tensors(_ c: ModelComponents) throws -> [String: (String, [Int], [UInt8])] {
        var all: [String: (String, [Int], [UInt8])] = [:]
        for (part, source) in [("unet", c.unet), ("vae", c.vae), ("text_encoder", c.text)] {
            for name in source.tensorNames {
                let layout = try source.layout(of: name)
                // Text encoder names with or without `text_model.` are the same tensor.
                all[part + "/" + (part == "text_encoder" ? ModelComponents.textCanonical(name) : name)] = (layout.dtype.rawValue, layout.shape, try source.withRawBytes(name) { Array($0) })
            }
        }
        return all
    }

    func assertSameTensors(_ a: ModelComponents, _ b: ModelComponents, file: StaticString = #filePath, line: UInt = #line) throws {
        let (x, y) = (try tensors(a), try tensors(b))
        XCTAssertEqual(Set(x.keys), Set(y.keys), file: file, line: line)
        for (k, v) in x {
            XCTAssertEqual(v.0, y[k]?.0, k, file: file, line: line)
            XCTAssertEqual(v.1, y[k]?.1, k, file: file, line: line)
            XCTAssertTrue(v.2 == y[k]?.2, "bytes of \(k)", file: file, line: line)
        }
    }

    func testFolderToSingleFileAndBackIsBitIdentical() throws {
        let folder = try ModelComponents.open(try ModelSource(url: Fixtures.modelA))
        let single = scratch.appendingPathComponent("a.safetensors")
        try ModelExport.write(folder, as: .singleFile, to: single)
        XCTAssertTrue(FileManager.default.fileExists(atPath: scratch.appendingPathComponent("a.yaml").path))
        // Same keys as the LDM file diffusers' own converter reads back to the folder.
        let shared = try SafeTensorsFile(url: Fixtures.shared.appendingPathComponent("models/single-file/shapesworld-a.safetensors"))
        let written = try SafeTensorsFile(url: single)
        XCTAssertEqual(Set(written.names), Set(shared.names.filter { !$0.hasSuffix("position_ids") }))
        for name in written.names { XCTAssertEqual(try written.info(name).shape, try shared.info(name).shape, name) }
        let loaded = try ModelComponents.open(try ModelSource(url: single, modelConfig: Fixtures.modelA))
        try assertSameTensors(folder, loaded)
        let back = scratch.appendingPathComponent("back")
        try ModelExport.write(loaded, as: .folder, to: back)
        let reloaded = try ModelComponents.open(try ModelSource(url: back))
        try assertSameTensors(folder, reloaded)
        let m = try StableDiffusionModel(components: reloaded)
        XCTAssertEqual(m.unetFingerprint, Fixtures.model.unetFingerprint)
        XCTAssertEqual(m.encode(prompts: ["a red circle"]).scalars, Fixtures.model.encode(prompts: ["a red circle"]).scalars)
        // The written YAML alone describes the UNet, VAE and schedule.
        let fromYAML = try StableDiffusionModel(source: try ModelSource(url: single, modelConfig: Fixtures.modelA))
        XCTAssertEqual(fromYAML.unetFingerprint, Fixtures.model.unetFingerprint)
        XCTAssertEqual(fromYAML.scheduler.alphasCumprod, Fixtures.model.scheduler.alphasCumprod)
    }

    func testInputIsNeverOverwritten() throws {
        let copy = scratch.appendingPathComponent("in.safetensors")
        try FileManager.default.copyItem(at: Fixtures.shared.appendingPathComponent("models/single-file/shapesworld-a.safetensors"), to: copy)
        let single = try ModelComponents.open(try ModelSource(url: copy, originalConfig: Fixtures.shared.appendingPathComponent("models/single-file/shapesworld-a.yaml"), modelConfig: Fixtures.modelA))
        XCTAssertThrowsError(try ModelExport.write(single, as: .singleFile, to: copy)) { XCTAssertTrue("\($0)".contains("refusing"), "\($0)") }
        let existing = scratch.appendingPathComponent("existing")
        try FileManager.default.createDirectory(at: existing, withIntermediateDirectories: true)
        XCTAssertThrowsError(try ModelExport.write(single, as: .folder, to: existing)) { XCTAssertTrue("\($0)".contains("already exists"), "\($0)") }
    }

    func testExistingSingleFileOrItsYAMLIsRefusedAndLeftAlone() throws {
        let folder = try ModelComponents.open(try ModelSource(url: Fixtures.modelA))
        let out = scratch.appendingPathComponent("out.safetensors"), yaml = scratch.appendingPathComponent("out.yaml")
        for existing in [out, yaml] {
            try Data("keep".utf8).write(to: existing)
            XCTAssertThrowsError(try ModelExport.write(folder, as: .singleFile, to: out)) { error in
                XCTAssertTrue("\(error)".contains(existing.path) && "\(error)".contains("already exists"), "\(error)")
            }
            XCTAssertEqual(try Data(contentsOf: existing), Data("keep".utf8))
            try FileManager.default.removeItem(at: existing)
        }
    }

    func testMetadataGoesIntoTheFileHoldingTheUNet() throws {
        let folder = try ModelComponents.open(try ModelSource(url: Fixtures.modelA))
        let single = scratch.appendingPathComponent("m.safetensors")
        try ModelExport.write(folder, as: .singleFile, to: single, metadata: ["note": "x", "format": "ignored"])
        XCTAssertEqual(try SafeTensorsFile(url: single).metadata, ["note": "x", "format": "pt"])
        let loaded = try ModelComponents.open(try ModelSource(url: single, modelConfig: Fixtures.modelA))
        let back = scratch.appendingPathComponent("back")
        try ModelExport.write(loaded, as: .folder, to: back, metadata: ["note": "y"])
        XCTAssertEqual(try SafeTensorsFile(url: back.appendingPathComponent("unet/diffusion_pytorch_model.safetensors")).metadata["note"], "y")
        XCTAssertNil(try SafeTensorsFile(url: back.appendingPathComponent("vae/diffusion_pytorch_model.safetensors")).metadata["note"])
    }
}
