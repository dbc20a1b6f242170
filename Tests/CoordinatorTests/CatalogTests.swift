import Coordinator
import Foundation
import Membranes
import TestSupport
import XCTest

/// Catalog parsing, scheduling and checkpoint files (no MPI).
final class CatalogTests: XCTestCase {
    func write(_ text: String, in folder: URL, name: String = "catalog.yaml") throws -> URL {
        let url = folder.appendingPathComponent(name)
        try text.write(to: url, atomically: true, encoding: .utf8)
        return url
    }

    func testCatalogResolvesSharedConfigOverridesAndConcepts() throws {
        let folder = try Runs.folder()
        defer { try? FileManager.default.removeItem(at: folder) }
        _ = try write("target: red\nla_strength: 1000\niterations: 400\nseed: 0\n", in: folder, name: "shared.yaml")
        let url = try write("""
        model: \(Fixtures.embeddedModel.path)
        config: shared.yaml
        iterations: 200
        seed: 5
        checkpoint_every: 25
        concepts:
          - name: red
            target: red
          - name: triangle
            la_strength: 500
        """, in: folder)
        let catalog = try Catalog.load(url)
        XCTAssertEqual(catalog.checkpointEvery, 25)
        XCTAssertEqual(catalog.concepts.map(\.name), ["red", "triangle"])
        XCTAssertEqual(catalog.concepts[0].config.iterations, 200)
        XCTAssertEqual(catalog.concepts[0].config.seed, 5)
        XCTAssertEqual(catalog.concepts[0].config.laStrength, 1000)
        XCTAssertEqual(catalog.concepts[1].config.target, "triangle")
        XCTAssertEqual(catalog.concepts[1].config.laStrength, 500)
        let jobs = Job.jobs(of: catalog, baseFingerprint: "f")
        XCTAssertNotEqual(jobs[0].hash, jobs[1].hash)
        XCTAssertEqual(jobs[0].hash, Job.hash(baseFingerprint: "f", config: catalog.concepts[0].config))
        XCTAssertNotEqual(jobs[0].hash, Job.hash(baseFingerprint: "g", config: catalog.concepts[0].config))
    }

    func testBadCatalogsGiveClearErrors() throws {
        let folder = try Runs.folder()
        defer { try? FileManager.default.removeItem(at: folder) }
        let model = Fixtures.embeddedModel.path
        let cases: [(String, String)] = [
            ("model: \(model)\nitertions: 3\nconcepts:\n  - name: red\n", "'itertions' unknown key"),
            ("model: \(model)\nconcepts:\n  - name: red\n    colour: 3\n", "'concepts[0].colour' unknown key"),
            ("model: /nonexistent/model\nconcepts:\n  - name: red\n", "'model' /nonexistent/model does not exist"),
            ("concepts:\n  - name: red\n", "'model' is required"),
            ("model: \(model)\nconcepts:\n  - name: ../evil\n", "contains U+002F '/' at byte 2"),
            ("model: \(model)\nconcepts:\n  - name: \"..\"\n", "must not start with '.'"),
            ("model: \(model)\nconcepts:\n  - name: \"\"\n", "must not be empty"),
            ("model: \(model)\nconcepts:\n  - name: red\n  - name: red\n", "appears twice"),
            ("model: \(model)\nconcepts:\n  - name: red\n    iterations: 0\n", "'iterations' must be a whole number in 1...10000000, found 0"),
            ("model: \(model)\nconcepts: []\n", "'concepts' is required"),
        ]
        for (text, expected) in cases {
            let url = try write(text, in: folder)
            XCTAssertThrowsError(try Catalog.load(url), text) { error in
                XCTAssertTrue("\(error)".contains(expected), "\(error) does not say \(expected)")
                XCTAssertTrue("\(error)".contains(url.path), "\(error) does not name the file")
            }
        }
        // Through the command: exit 2, the message, and no library folder created.
        let url = try write("model: \(model)\nconcepts:\n  - name: red/x\n", in: folder)
        let lib = folder.appendingPathComponent("lib")
        let out = try Runs.Child(try Runs.membrane(), ["catalog", "run", url.path, "--library", lib.path], folder: folder).wait(timeout: 60)
        XCTAssertEqual(out.status, CatalogRun.ExitCode.usage, out.err)
        XCTAssertTrue(out.err.contains("contains U+002F '/'"), out.err)
        XCTAssertFalse(FileManager.default.fileExists(atPath: lib.path))
    }

    func testSchedulerGroupsAndUnitSplit() {
        XCTAssertEqual(GroupPlan.groups(workers: 2, groupSize: 1), [[1], [2]])
        XCTAssertEqual(GroupPlan.groups(workers: 5, groupSize: 2), [[1, 2, 3], [4, 5]])
        XCTAssertEqual(GroupPlan.groups(workers: 4, groupSize: 4), [[1, 2, 3, 4]])
        XCTAssertEqual(GroupPlan(groupSize: nil).groupSize(workers: 2, batchSizes: [2, 2, 2]), 1)
        XCTAssertEqual(GroupPlan(groupSize: nil).groupSize(workers: 8, batchSizes: [4]), 4)
        XCTAssertEqual(GroupPlan(groupSize: nil).groupSize(workers: 8, batchSizes: [8, 8]), 4)
        XCTAssertEqual(GroupPlan(groupSize: 3).groupSize(workers: 2, batchSizes: [1]), 2)
        XCTAssertEqual((0..<3).map { GroupPlan.units(batchSize: 5, rank: $0, size: 3) }, [0..<2, 2..<4, 4..<5])
        XCTAssertEqual((0..<3).map { GroupPlan.units(batchSize: 2, rank: $0, size: 3) }, [0..<1, 1..<2, 2..<2])
    }

    func testCheckpointRoundTripAndLock() throws {
        let folder = try Runs.folder()
        defer { try? FileManager.default.removeItem(at: folder) }
        let training = TrainingCheckpoint(
            iteration: 7, parameters: ParameterVector(values: [1, 2, 3]),
            moments: AdamW.Moments(steps: 7, m: ParameterVector(values: [0.5, -1, 2]), v: ParameterVector(values: [1e-8, 3, 4])),
            loss: LossParts(erase: 0.1, anchoring: 0.2, total: 0.3), seconds: 1.5)
        let cp = JobCheckpoint(concept: "red", jobHash: "abc", training: training)
        let url = folder.appendingPathComponent("checkpoint.safetensors")
        try cp.write(to: url)
        XCTAssertEqual(try JobCheckpoint.read(from: url), cp)
        let leftovers = try FileManager.default.contentsOfDirectory(atPath: folder.path).filter { $0.contains(".tmp-") }
        XCTAssertEqual(leftovers, [])

        let library = Library(directory: folder)
        let lock = try LibraryLock(library: library)
        XCTAssertThrowsError(try LibraryLock(library: library)) { error in
            XCTAssertTrue("\(error)".contains("in use by another catalog run"), "\(error)")
        }
        lock.release()
        XCTAssertNoThrow(try LibraryLock(library: library))
    }
}
