import Foundation
import Membranes
import SafeTensors
import TensorEngine
import TestSupport
import XCTest

/// `membrane merge`, run as a user would.
final class MergeCommandTests: XCTestCase {
    func testMergeWritesTheRecordedCheckpointAndRefusesBadInput() throws {
        let binary = try MembraneBinary.locate()
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("membrane-merge-cli-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        var m = Membrane(sites: Fixtures.model.unet.adapterSites, targets: ["red"], seed: 3)
        var rng = RandomSource(seed: 4)
        for k in m.layers.keys.sorted() {
            let shape = try XCTUnwrap(m.layers[k]).up.shape
            m.layers[k]?.up = Tensor.randn(shape, using: &rng) * 0.1
        }
        let membrane = dir.appendingPathComponent("red.safetensors")
        try m.write(to: membrane)
        let single = Fixtures.shared.appendingPathComponent("models/single-file/shapesworld-a.safetensors").path
        let out = dir.appendingPathComponent("merged.safetensors").path
        let base = ["merge", "--model", single, "--model-config", Fixtures.modelA.path, "--membrane", membrane.path]

        let merged = try MembraneBinary.run(binary, base + ["--weight", "0.5", "--out", out])
        XCTAssertEqual(merged.status, 0, merged.stderr)
        XCTAssertTrue(merged.stdout.contains("merged red.safetensors at weight 0.5"), merged.stdout)
        XCTAssertEqual(MembraneMerge.records(in: try SafeTensorsFile(url: URL(fileURLWithPath: out)).metadata)?.map(\.weight), ["0.5"])
        XCTAssertTrue(FileManager.default.fileExists(atPath: dir.appendingPathComponent("merged.yaml").path))

        for (arguments, message) in [
            (["--weight", "1", "--out", out], "already exists"),
            (["--weight", "1", "--out", single], "refusing to overwrite the input model"),
            (["--weight", "1", "--weight", "2", "--out", dir.appendingPathComponent("b.safetensors").path], "2 --weight values for 1 --membrane files"),
            (["--weight", "nan", "--out", dir.appendingPathComponent("c.safetensors").path], "is not a finite number"),
        ] {
            let run = try MembraneBinary.run(binary, base + arguments)
            XCTAssertNotEqual(run.status, 0, arguments.joined(separator: " "))
            XCTAssertTrue(run.stderr.contains(message), "\(arguments): \(run.stderr)")
        }
        XCTAssertFalse(FileManager.default.fileExists(atPath: dir.appendingPathComponent("b.safetensors").path))
    }
}
