import Foundation
import Membranes
import SafeTensors
import StableDiffusion
import TensorEngine
import TestSupport
import XCTest

/// `membrane merge`: membranes baked into the UNet weights act as the fixed transport does.
final class MembraneMergeTests: XCTestCase {
    static let singleFile = Fixtures.shared.appendingPathComponent("models/single-file/shapesworld-a.safetensors")
    var dir: URL!
    let sites = Fixtures.model.unet.adapterSites

    override func setUpWithError() throws {
        dir = FileManager.default.temporaryDirectory.appendingPathComponent("membrane-merge-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
    }

    override func tearDownWithError() throws { try? FileManager.default.removeItem(at: dir) }

    /// A membrane with random nonzero factors on every site, written to `name`.
    func membraneFile(_ name: String, seed: UInt64, alpha: Float) throws -> URL {
        var m = Membrane(sites: sites, targets: ["red \(seed)"], seed: seed)
        var rng = RandomSource(seed: seed + 100)
        // Sorted: a dictionary's order changes between runs, and the draws must not.
        for k in m.layers.keys.sorted() {
            let shape = try XCTUnwrap(m.layers[k]).up.shape
            m.layers[k]?.up = Tensor.randn(shape, using: &rng) * 0.1
        }
        m.alpha = alpha
        m.info["membrane.config_hash"] = "hash-\(seed)"
        let url = dir.appendingPathComponent(name)
        try m.write(to: url)
        return url
    }

    func unetOutput(_ m: StableDiffusionModel, adapter: LayerAdapter? = nil) throws -> Tensor {
        let x = try Fixtures.tensor("unet.x"), ctx = try Fixtures.tensor("unet.ctx")
        return m.unet(x, timesteps: try Fixtures.ints("unet.t").map(Float.init), context: ctx, adapter: adapter)
    }

    func pictures(_ m: StableDiffusionModel, adapter: AdapterProvider? = nil) throws -> Tensor {
        var request = GenerationRequest(prompts: ["a red circle"])
        request.steps = 3
        request.guidance = 5
        let images = try m.generate(request, adapter: adapter)
        return Tensor(shape: [images.reduce(0) { $0 + $1.count }], values: images.flatMap(\.scalars))
    }

    /// The membranes at their weights as the transport applies them at inference: the fixed
    /// transport when all weights are equal, one ``MembraneAdapter`` entry per membrane otherwise.
    func transport(_ membranes: [Membrane], _ weights: [Float], model: StableDiffusionModel) -> AdapterProvider? {
        if Set(weights).count == 1 { return Transport.fixed(weights[0]).provider(membranes: membranes, model: model) }
        return { rows in MembraneAdapter(zip(membranes, weights).map { (membrane: $0.0, multipliers: Array(repeating: $0.1, count: rows.count)) }) }
    }

    /// Merges `files` at `weights` into `base` and checks the merged model against the base
    /// model with the membranes applied by the transport: UNet output within `unet` and pictures
    /// within `pictures` (relative), while the membranes change each by at least ten times that.
    func assertMergeMatchesTransport(base: ModelSource, files: [URL], weights: [Float], out: URL, unet: Double, pictures picturesTolerance: Double,
                                     load: (URL) throws -> ModelSource, file: StaticString = #filePath, line: UInt = #line) throws {
        let baseModel = try StableDiffusionModel(source: base)
        let membranes = try files.map { try Membrane.read(from: $0, sites: baseModel.unet.adapterSites) }
        _ = try MembraneMerge.write(try ModelComponents.open(base), membranes: files, weights: weights, to: out)
        let merged = try StableDiffusionModel(source: try load(out))
        let provider = try XCTUnwrap(transport(membranes, weights, model: baseModel))
        let expected = try unetOutput(baseModel, adapter: provider(Array(repeating: "", count: try Fixtures.tensor("unet.x").shape[0])))
        XCTAssertGreaterThan(relativeError(try unetOutput(baseModel), expected), 10 * unet, "the membranes must matter", file: file, line: line)
        XCTAssertLessThan(relativeError(try unetOutput(merged), expected), unet, "UNet at weights \(weights)", file: file, line: line)
        let expectedPictures = try pictures(baseModel, adapter: provider)
        XCTAssertGreaterThan(relativeError(try pictures(baseModel), expectedPictures), 10 * picturesTolerance, "the membranes must matter", file: file, line: line)
        XCTAssertLessThan(relativeError(try pictures(merged), expectedPictures), picturesTolerance, "pictures at weights \(weights)", file: file, line: line)
    }

    // Float32: the merged weight W + w s up down is rounded once per element (relative 6e-8)
    // where the transport adds the term after the GEMM. Measured: UNet output <= 5e-7, pictures
    // <= 1.3e-5 (three sampling steps with guidance 5 and the VAE amplify it). Tolerances 1e-5
    // and 1e-4; the membranes change the UNet output by 1.8e-2 or more and the pictures by 0.28
    // or more.
    func testFolderMergeEqualsFixedTransport() throws {
        let a = try membraneFile("a.safetensors", seed: 1, alpha: 0.5), b = try membraneFile("b.safetensors", seed: 2, alpha: 1)
        for (i, (files, weights)) in [([a], [Float(1)]), ([a], [0.5]), ([a, b], [1, 0.5])].enumerated() {
            try assertMergeMatchesTransport(base: try ModelSource(url: Fixtures.modelA), files: files, weights: weights,
                                            out: dir.appendingPathComponent("merged-\(i)"), unet: 1e-5, pictures: 1e-4, load: { try ModelSource(url: $0) })
        }
    }

    func testSingleFileMergeEqualsFixedTransport() throws {
        let a = try membraneFile("a.safetensors", seed: 1, alpha: 0.5), b = try membraneFile("b.safetensors", seed: 2, alpha: 1)
        let base = try ModelSource(url: Self.singleFile, modelConfig: Fixtures.modelA)
        for (i, (files, weights)) in [([a], [Float(1)]), ([a, b], [0.5, 1])].enumerated() {
            try assertMergeMatchesTransport(base: base, files: files, weights: weights, out: dir.appendingPathComponent("merged-\(i).safetensors"),
                                            unet: 1e-5, pictures: 1e-4, load: { try ModelSource(url: $0, modelConfig: Fixtures.modelA) })
            XCTAssertTrue(FileManager.default.fileExists(atPath: dir.appendingPathComponent("merged-\(i).yaml").path))
        }
    }

    /// The shared single file with every tensor stored as float16.
    func halfPrecisionCopy() throws -> URL {
        let original = try SafeTensorsFile(url: Self.singleFile)
        var writer = SafeTensorsWriter(metadata: original.metadata)
        for key in original.names { try writer.add(key, floats: try original.floats(key), shape: try original.info(key).shape, as: .f16) }
        let url = dir.appendingPathComponent("half.safetensors")
        try writer.write(to: url)
        return url
    }

    // Float16: each merged weight is rounded to 11 significant bits (relative 2.4e-4 at most)
    // where the transport adds the term in float32. Measured: UNet output 1.7e-4, pictures
    // 1.7e-3. Tolerances 1e-3 (as for float16 weights against float32 ones) and 1e-2; the
    // membrane changes them by 3.6e-2 and 0.84.
    func testHalfPrecisionMergeStaysHalfAndEqualsFixedTransport() throws {
        let half = try halfPrecisionCopy()
        let a = try membraneFile("a.safetensors", seed: 1, alpha: 0.5)
        let out = dir.appendingPathComponent("merged-half.safetensors")
        try assertMergeMatchesTransport(base: try ModelSource(url: half, modelConfig: Fixtures.modelA), files: [a], weights: [1], out: out,
                                        unet: 1e-3, pictures: 1e-2, load: { try ModelSource(url: $0, modelConfig: Fixtures.modelA) })
        let input = try SafeTensorsFile(url: half), merged = try SafeTensorsFile(url: out)
        var changed = 0
        for name in merged.names {
            XCTAssertEqual(try merged.info(name).dtype, .f16, name)
            if try merged.withRawBytes(name, { Array($0) }) != (try input.withRawBytes(name, { Array($0) })) { changed += 1 }
        }
        // Exactly the weights of the adapted layers change; every other tensor is copied.
        XCTAssertEqual(changed, sites.count)
    }

    func testMergedFileRecordsItsMembranesAndIsReproducible() throws {
        let a = try membraneFile("a.safetensors", seed: 1, alpha: 0.5), b = try membraneFile("b.safetensors", seed: 2, alpha: 1)
        let base = try ModelComponents.open(try ModelSource(url: Self.singleFile, modelConfig: Fixtures.modelA))
        let first = dir.appendingPathComponent("one.safetensors"), second = dir.appendingPathComponent("two.safetensors")
        let records = try MembraneMerge.write(base, membranes: [a, b], weights: [1, 0.25], to: first)
        _ = try MembraneMerge.write(base, membranes: [a, b], weights: [1, 0.25], to: second)
        XCTAssertEqual(try Data(contentsOf: first), try Data(contentsOf: second))
        let metadata = try SafeTensorsFile(url: first).metadata
        XCTAssertEqual(MembraneMerge.records(in: metadata), records)
        XCTAssertEqual(records.map(\.file), ["a.safetensors", "b.safetensors"])
        XCTAssertEqual(records.map(\.weight), ["1.0", "0.25"])
        XCTAssertEqual(records.map(\.configHash), ["hash-1", "hash-2"])
        XCTAssertEqual(records.map(\.targets), [["red 1"], ["red 2"]])
        XCTAssertEqual(records[0].contentHash, try contentFingerprint(of: [a]))
        XCTAssertEqual(metadata[MembraneMerge.baseMetadataKey], Fixtures.model.unetFingerprint)
        let folderOut = dir.appendingPathComponent("folder")
        _ = try MembraneMerge.write(try ModelComponents.open(try ModelSource(url: Fixtures.modelA)), membranes: [a], weights: [], to: folderOut)
        let unetFile = try SafeTensorsFile(url: folderOut.appendingPathComponent("unet/diffusion_pytorch_model.safetensors"))
        XCTAssertEqual(MembraneMerge.records(in: unetFile.metadata)?.map(\.weight), ["1.0"])
    }
}
