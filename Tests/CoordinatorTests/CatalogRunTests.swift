import Coordinator
import Foundation
import Membranes
import TestSupport
import XCTest

/// Catalog runs under `mpirun -np 3 --oversubscribe` (rank 0 coordinates, two workers).
final class CatalogRunTests: XCTestCase {
    static let three = """
      - name: red
      - name: triangle
        la_strength: 500
      - name: blue
    """

    /// Trains three concepts on two single-rank groups, compares them bit for bit with
    /// single-process runs, re-runs unchanged (nothing trained), then changes one concept and
    /// re-runs on one two-rank group (only it retrains; bit-identical to the simulated group).
    func testCatalogTrainsSkipsAndRetrainsOnlyChangedConcept() throws {
        let folder = try Runs.folder()
        defer { try? FileManager.default.removeItem(at: folder) }
        let catalogURL = try Runs.writeCatalog(in: folder, concepts: Self.three)
        let library = Library(directory: folder.appendingPathComponent("lib"))
        let first = try Runs.run(np: 3, catalog: catalogURL, library: library.directory)
        XCTAssertEqual(first.status, 0, first.err)
        let catalog = try Catalog.load(catalogURL)
        for concept in catalog.concepts {
            let expected = try Runs.reference(concept.config, groupSize: 1)
            XCTAssertEqual(try Runs.weights(library, concept.name), expected, "\(concept.name) differs from the single-process run")
            XCTAssertFalse(FileManager.default.fileExists(atPath: library.checkpointURL(concept.name).path))
        }
        let index = try library.readIndex()
        XCTAssertEqual(Set(index.entries.keys), ["red", "triangle", "blue"])
        XCTAssertEqual(index.entries["triangle"]?.targets, ["triangle"])
        XCTAssertEqual(index.entries["red"]?.iterations, 4)

        // Unchanged: nothing trains, no membrane is touched.
        let stamp = try FileManager.default.attributesOfItem(atPath: library.membraneURL("red").path)[.modificationDate] as? Date
        let second = try Runs.run(np: 3, catalog: catalogURL, library: library.directory)
        XCTAssertEqual(second.status, 0, second.err)
        XCTAssertFalse(second.err.contains("started on"), second.err)
        XCTAssertTrue(second.err.contains("0 trained"), second.err)
        XCTAssertEqual(try FileManager.default.attributesOfItem(atPath: library.membraneURL("red").path)[.modificationDate] as? Date, stamp)

        // One concept changed: only it retrains, here on one group of two ranks, with text
        // directions (which the group's ranks take from their leader).
        let changed = Self.three.replacingOccurrences(of: "la_strength: 500", with: "la_strength: 250\n    text_directions: 1")
        _ = try Runs.writeCatalog(in: folder, concepts: changed)
        let third = try Runs.run(np: 3, catalog: catalogURL, library: library.directory, extra: ["--group-size", "2"])
        XCTAssertEqual(third.status, 0, third.err)
        XCTAssertTrue(third.err.contains("triangle: started on ranks 1,2"), third.err)
        XCTAssertFalse(third.err.contains("red: started"), third.err)
        XCTAssertEqual(try FileManager.default.attributesOfItem(atPath: library.membraneURL("red").path)[.modificationDate] as? Date, stamp)
        let triangle = try XCTUnwrap(try Catalog.load(catalogURL).concepts.first { $0.name == "triangle" })
        let two = try Runs.reference(triangle.config, groupSize: 2)
        XCTAssertEqual(try Runs.weights(library, "triangle"), two, "two-rank group differs from the simulated one")
        let one = try Runs.reference(triangle.config, groupSize: 1)
        let diff = zip(one, two).map { abs($0 - $1) }.max() ?? 0
        XCTAssertLessThanOrEqual(diff, 1e-5, "group sizes 1 and 2 differ by \(diff)")
        XCTAssertEqual(try library.readIndex().entries["triangle"]?.groupSize, 2)
    }

    /// kill -9 of a worker mid-run: mpirun aborts; a concurrent run is refused meanwhile; a
    /// pending job is cancelled; the re-run resumes and ends bit-identical to uninterrupted runs.
    func testKilledWorkerResumesBitIdentical() throws {
        let folder = try Runs.folder()
        defer { try? FileManager.default.removeItem(at: folder) }
        // red and triangle run long enough that blue is still pending when it is cancelled (at 4
        // iterations a fast build finished them, and blue had started, before the cancel came).
        let concepts = """
          - name: red
            iterations: 16
          - name: triangle
            la_strength: 500
            iterations: 16
          - name: blue
        """
        let catalogURL = try Runs.writeCatalog(in: folder, concepts: concepts)
        let library = Library(directory: folder.appendingPathComponent("lib"))
        let run = try Runs.start(np: 3, catalog: catalogURL, library: library.directory)
        let target = Int.random(in: 1...2)
        let reached = Runs.waitUntil(timeout: 120) {
            (RunStatus.read(library: library)?.jobs.first { $0.name == "red" }?.iteration ?? 0) >= target
        }
        XCTAssertTrue(reached, "red never reached iteration \(target)")

        // Cancel of the pending job over the control socket.
        let cancel = try Runs.Child(try Runs.membrane(), ["cancel", "--library", library.directory.path, "blue"], folder: folder).wait(timeout: 30)
        XCTAssertEqual(cancel.status, 0, cancel.err)
        XCTAssertTrue(cancel.out.contains("blue cancelled"), cancel.out)

        // Second run on the same library: refused at once, nothing changed.
        let busy = try Runs.run(np: 2, catalog: catalogURL, library: library.directory)
        XCTAssertEqual(busy.status, CatalogRun.ExitCode.busy, busy.err)
        XCTAssertTrue(busy.err.contains("in use by another catalog run"), busy.err)

        // Live status over the control socket.
        let status = try Runs.Child(try Runs.membrane(), ["status", "--library", library.directory.path], folder: folder).wait(timeout: 30)
        XCTAssertEqual(status.status, 0, status.err)
        XCTAssertTrue(status.out.contains("catalog run running"), status.out)
        XCTAssertTrue(status.out.contains("red"), status.out)

        let ranks = Runs.children(of: run.process.processIdentifier)
        let coordinatorPid = RunStatus.read(library: library)?.pid
        let worker = try XCTUnwrap(ranks.first { $0 != coordinatorPid }, "no worker process found among \(ranks)")
        kill(worker, SIGKILL)
        let killed = run.wait(timeout: 60)
        XCTAssertNotEqual(killed.status, 0)
        XCTAssertTrue(FileManager.default.fileExists(atPath: library.checkpointURL("red").path) ||
                      FileManager.default.fileExists(atPath: library.membraneURL("red").path))

        let rerun = try Runs.run(np: 3, catalog: catalogURL, library: library.directory)
        XCTAssertEqual(rerun.status, 0, rerun.err)
        XCTAssertTrue(rerun.err.contains("resuming from its checkpoint"), rerun.err)
        for concept in try Catalog.load(catalogURL).concepts {
            XCTAssertEqual(try Runs.weights(library, concept.name), try Runs.reference(concept.config, groupSize: 1), concept.name)
        }
    }

    /// SIGTERM to the launcher (which forwards SIGUSR1 to mpirun): checkpoints, exit 143, and the
    /// re-run resumes to the same membranes. Then SIGTERM straight to mpirun: checkpoints too.
    func testSigtermCheckpointsExits143AndResumes() throws {
        let folder = try Runs.folder()
        defer { try? FileManager.default.removeItem(at: folder) }
        let concepts = """
          - name: red
          - name: triangle
            la_strength: 500
        """
        let catalogURL = try Runs.writeCatalog(in: folder, concepts: concepts, iterations: 6, every: 100)
        let library = Library(directory: folder.appendingPathComponent("lib"))
        let launcher = Fixtures.repoRoot.appendingPathComponent("cluster/mpirun-membrane")
        let args = ["-np", "3", "--oversubscribe", try Runs.membrane().path, "catalog", "run", catalogURL.path, "--library", library.directory.path]
        let run = try Runs.Child(launcher, args, folder: folder)
        XCTAssertTrue(Runs.waitUntil(timeout: 120) { (RunStatus.read(library: library)?.jobs.first?.iteration ?? 0) >= 1 })
        kill(run.process.processIdentifier, SIGTERM)
        let stopped = run.wait(timeout: 60)
        XCTAssertEqual(stopped.status, 143, stopped.err)
        XCTAssertEqual(RunStatus.read(library: library)?.state, .interrupted)
        guard let saved = try? JobCheckpoint.read(from: library.checkpointURL("red")) else {
            return XCTFail("no checkpoint for red after SIGTERM:\n\(stopped.err)")
        }
        XCTAssertGreaterThanOrEqual(saved.iteration, 1)

        // SIGTERM straight to mpirun: Open MPI kills the ranks a second later (and exits 1), but
        // the coordinator has already checkpointed the last finished iteration.
        let direct = try Runs.start(np: 3, catalog: catalogURL, library: library.directory)
        let before = saved.iteration
        XCTAssertTrue(Runs.waitUntil(timeout: 120) { (RunStatus.read(library: library)?.jobs.first?.iteration ?? 0) > before })
        kill(direct.process.processIdentifier, SIGTERM)
        let directEnd = direct.wait(timeout: 60)
        XCTAssertNotEqual(directEnd.status, 0)
        let after = (try? JobCheckpoint.read(from: library.checkpointURL("red")))?.iteration ?? 0
        let finished = FileManager.default.fileExists(atPath: library.membraneURL("red").path)
        XCTAssertTrue(after > before || finished, "checkpoint at \(after), before \(before):\n\(directEnd.err)")

        let rerun = try Runs.run(np: 3, catalog: catalogURL, library: library.directory)
        XCTAssertEqual(rerun.status, 0, rerun.err)
        for concept in try Catalog.load(catalogURL).concepts {
            XCTAssertEqual(try Runs.weights(library, concept.name), try Runs.reference(concept.config, groupSize: 1), concept.name)
        }
    }

    /// A three-rank group (np 4) with the control socket on TCP: a worker stopped with SIGSTOP
    /// falls silent; after `--heartbeat-timeout` the coordinator checkpoints, names the lost rank
    /// and its host, writes a `failed` status and aborts (exit 4, within the timeout plus a
    /// margin). The re-run resumes, and the membrane equals the single-process run reproducing a
    /// group of three, bit for bit.
    func testThreeRankGroupOverTCPLosesSilentRankAndResumes() throws {
        let folder = try Runs.folder()
        defer { try? FileManager.default.removeItem(at: folder) }
        let catalogURL = try Runs.writeCatalog(in: folder, concepts: "  - name: green\n    batch_size: 3", iterations: 8, every: 100)
        let library = Library(directory: folder.appendingPathComponent("lib"))
        let port = Int.random(in: 20000..<60000)
        let extra = ["--group-size", "3", "--control", "tcp:\(port)", "--heartbeat-timeout", "5"]
        let run = try Runs.start(np: 4, catalog: catalogURL, library: library.directory, extra: extra)
        XCTAssertTrue(Runs.waitUntil(timeout: 120) { (RunStatus.read(library: library)?.jobs.first?.iteration ?? 0) >= 1 })
        let coordinatorPid = RunStatus.read(library: library)?.pid
        let worker = try XCTUnwrap(Runs.children(of: run.process.processIdentifier).last { $0 != coordinatorPid })
        kill(worker, SIGSTOP)
        let stopped = Date()
        let end = run.wait(timeout: 60)
        let seconds = Date().timeIntervalSince(stopped)
        kill(worker, SIGCONT)
        XCTAssertEqual(end.status, CatalogRun.ExitCode.lostRank, end.err)
        XCTAssertLessThan(seconds, 5 + 15, "the run took \(seconds) s to give up a silent rank")
        XCTAssertTrue(end.err.contains("lost: silent for"), end.err)
        XCTAssertTrue(end.err.contains("while training green"), end.err)
        XCTAssertTrue(end.err.contains("ranks on hosts: 0 "), end.err)
        let last = try XCTUnwrap(RunStatus.read(library: library))
        XCTAssertEqual(last.state, .failed)
        XCTAssertTrue(last.ranks.contains { $0.silent }, "no rank marked silent in status.json")
        XCTAssertEqual(last.jobs.first?.state, .interrupted)
        let saved = try JobCheckpoint.read(from: library.checkpointURL("green"))
        XCTAssertGreaterThanOrEqual(saved.iteration, 1, "the coordinator did not checkpoint the latest state")

        let rerun = try Runs.run(np: 4, catalog: catalogURL, library: library.directory, extra: extra)
        XCTAssertEqual(rerun.status, 0, rerun.err)
        XCTAssertTrue(rerun.err.contains("resuming from its checkpoint at iteration \(saved.iteration)"), rerun.err)
        XCTAssertTrue(rerun.err.contains("green: started on ranks 1,2,3"), rerun.err)
        let config = try XCTUnwrap(try Catalog.load(catalogURL).concepts.first).config
        XCTAssertEqual(try Runs.weights(library, "green"), try Runs.reference(config, groupSize: 3), "three-rank group differs from the simulated one")
    }
}
