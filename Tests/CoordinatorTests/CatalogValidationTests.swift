import Coordinator
import Foundation
import Membranes
import SafeTensors
import StableDiffusion
import TestSupport
import XCTest

/// Catalogs from issue 14 that crashed, hung or would have published NaN membranes: refused
/// before anything is written, or failed alone with the last checkpoint kept.
final class CatalogValidationTests: XCTestCase {
    func write(_ text: String, in folder: URL) throws -> URL {
        let url = folder.appendingPathComponent("catalog.yaml")
        try text.write(to: url, atomically: true, encoding: .utf8)
        return url
    }

    /// Deep nesting, an alias bomb, repeated keys and out-of-range numbers: clear errors at once.
    func testHostileCatalogsAreRefusedQuickly() throws {
        let folder = try Runs.folder()
        defer { try? FileManager.default.removeItem(at: folder) }
        let model = Fixtures.embeddedModel.path
        var bomb = ["model: \(model)", "a0: &a0 [x, x, x, x, x, x, x, x, x]"]
        for i in 1..<30 { bomb.append("a\(i): &a\(i) [" + Array(repeating: "*a\(i - 1)", count: 9).joined(separator: ", ") + "]") }
        let cases: [(String, String)] = [
            ("model: \(model)\nconcepts: " + String(repeating: "[", count: 100_000) + String(repeating: "]", count: 100_000) + "\n",
             "nested more than 64 levels deep"),
            (bomb.joined(separator: "\n") + "\nconcepts:\n  - name: red\n", "aliases are not accepted"),
            ("model: \(model)\nconcepts:\n  - name: red\n    iterations: 3\n    iterations: 4\n", "'concepts.iterations' appears twice"),
            ("model: \(model)\nconcepts:\n  - name: red\n    guidance_scale: .nan\n", "'guidance_scale' must be a finite number in [-100, 100], found nan"),
            ("model: \(model)\nconcepts:\n  - name: red\n    iterations: 1.0e+30\n", "'iterations' must be a whole number in 1...10000000"),
            ("model: \(model)\ncheckpoint_every: .inf\nconcepts:\n  - name: red\n", "'checkpoint_every' must be a whole number in 1...10000000"),
        ]
        for (text, expected) in cases {
            let url = try write(text, in: folder)
            let start = Date()
            XCTAssertThrowsError(try Catalog.load(url), String(text.prefix(80))) { error in
                XCTAssertTrue("\(error)".contains(expected), "\(error) does not say \(expected)")
                XCTAssertTrue("\(error)".contains(url.path), "\(error) does not name the file")
            }
            XCTAssertLessThan(Date().timeIntervalSince(start), 2, expected)
        }
    }

    /// A limit that depends on the model (resolution vs the latent factor) stops the run before
    /// the library is created: exit 2, nothing written.
    func testModelDependentLimitStopsTheRunBeforeAnythingIsWritten() throws {
        let folder = try Runs.folder()
        defer { try? FileManager.default.removeItem(at: folder) }
        let url = try write("model: \(Fixtures.embeddedModel.path)\nconcepts:\n  - name: red\n  - name: blue\n    resolution: 30\n", in: folder)
        let lib = folder.appendingPathComponent("lib")
        let out = try Runs.run(np: 2, catalog: url, library: lib)
        XCTAssertEqual(out.status, CatalogRun.ExitCode.usage, out.err)
        XCTAssertTrue(out.err.contains("concept 'blue': 'resolution' must be a multiple of 8"), out.err)
        XCTAssertFalse(FileManager.default.fileExists(atPath: lib.path))
    }

    /// A model with a NaN weight: the job's group (two ranks) stops at the first non-finite
    /// loss, both ranks alike; the run exits 1, the checkpoint it resumed from stays byte for
    /// byte, and no membrane or index entry is written.
    func testNonFiniteTrainingFailsTheJobAndKeepsItsCheckpoint() throws {
        let folder = try Runs.folder()
        defer { try? FileManager.default.removeItem(at: folder) }
        let modelURL = folder.appendingPathComponent("model")
        try FileManager.default.copyItem(at: Fixtures.embeddedModel, to: modelURL)
        try Fixtures.poisonUNet(in: modelURL)
        let catalogURL = try Runs.writeCatalog(in: folder, concepts: "  - name: red\n", iterations: 6, every: 1)
        let text = try String(contentsOf: catalogURL, encoding: .utf8).replacingOccurrences(of: Fixtures.embeddedModel.path, with: modelURL.path)
        try text.write(to: catalogURL, atomically: true, encoding: .utf8)
        let catalog = try Catalog.load(catalogURL)
        let model = try StableDiffusionModel(directory: modelURL)
        let job = try XCTUnwrap(Job.jobs(of: catalog, baseFingerprint: model.unetFingerprint).first)
        // A good checkpoint at iteration 2, as an earlier run would have left it.
        let start = MembraneTrainer.initialMembrane(sites: model.unet.adapterSites, config: job.config)
        let count = start.parameterCount
        let training = TrainingCheckpoint(iteration: 2, parameters: ParameterVector(tensors: start.parameters),
                                          moments: AdamW.Moments(steps: 2, m: ParameterVector(zeros: count), v: ParameterVector(zeros: count)))
        let library = Library(directory: folder.appendingPathComponent("lib"))
        try FileManager.default.createDirectory(at: library.checkpointURL("red").deletingLastPathComponent(), withIntermediateDirectories: true)
        try JobCheckpoint(concept: "red", jobHash: job.hash, training: training).write(to: library.checkpointURL("red"))
        let saved = try Data(contentsOf: library.checkpointURL("red"))

        let out = try Runs.start(np: 3, catalog: catalogURL, library: library.directory, extra: ["--group-size", "2"]).wait(timeout: 120)
        XCTAssertEqual(out.status, CatalogRun.ExitCode.failure, out.err)
        XCTAssertTrue(out.err.contains("resuming from its checkpoint at iteration 2"), out.err)
        XCTAssertTrue(out.err.contains("iteration 3: the erase loss is not finite"), out.err)
        XCTAssertTrue(out.err.contains("its checkpoint at iteration 2 is kept, no membrane written"), out.err)
        XCTAssertEqual(try Data(contentsOf: library.checkpointURL("red")), saved)
        XCTAssertFalse(FileManager.default.fileExists(atPath: library.membraneURL("red").path))
        XCTAssertNil(try library.readIndex().entries["red"])
    }

}

/// Evaluation keys of catalogs: refused with the file and key named.
final class CatalogEvaluationKeyTests: XCTestCase {
    func testBadEvaluationKeysAreRefused() throws {
        let folder = try Runs.folder()
        defer { try? FileManager.default.removeItem(at: folder) }
        try "concept: red\nothers: [blue]\n".write(to: folder.appendingPathComponent("eval.yaml"), atomically: true, encoding: .utf8)
        try "concept: red\n".write(to: folder.appendingPathComponent("bad.yaml"), atomically: true, encoding: .utf8)
        let model = Fixtures.embeddedModel.path
        let cases: [(String, String)] = [
            ("reader: shapesworld\nconcepts:\n  - name: red\n", "'reader' needs 'evaluate'"),
            ("evaluate: eval.yaml\nconcepts:\n  - name: red\n", "'reader' is required"),
            ("evaluate: eval.yaml\nreader: clip:nowhere\nconcepts:\n  - name: red\n", "does not exist"),
            ("evaluate: bad.yaml\nreader: shapesworld\nconcepts:\n  - name: red\n", "'others' is required"),
            ("evaluate: eval.yaml\nreader: shapesworld\ngate: {max_target_rate: 5}\nconcepts:\n  - name: red\n", "'gate.max_target_rate' must be a share"),
            ("evaluate: eval.yaml\nreader: shapesworld\nconcepts:\n  - name: red\n    gate: {transport: \"fixed:x\", max_target_rate: 0.1}\n",
             "'concepts[0].gate.transport'"),
        ]
        for (text, expected) in cases {
            let url = folder.appendingPathComponent("catalog.yaml")
            try "model: \(model)\n\(text)".write(to: url, atomically: true, encoding: .utf8)
            XCTAssertThrowsError(try Catalog.load(url), text) { error in
                XCTAssertTrue("\(error)".contains(expected), "\(error) does not say \(expected)")
            }
        }
        let url = folder.appendingPathComponent("catalog.yaml")
        try "model: \(model)\nevaluate: eval.yaml\nreader: shapesworld\nconcepts:\n  - name: red\n  - name: blue\n    gate: {max_target_rate: 0.2}\n"
            .write(to: url, atomically: true, encoding: .utf8)
        let catalog = try Catalog.load(url)
        XCTAssertNil(catalog.concepts[0].evaluation?.gate)
        XCTAssertEqual(catalog.concepts[1].evaluation?.gate?.maxTargetRate, 0.2)
        XCTAssertNotEqual(catalog.concepts[0].evaluation?.hash, catalog.concepts[1].evaluation?.hash)
    }
}
