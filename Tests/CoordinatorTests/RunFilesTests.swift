import AtomicFiles
import ControlSocket
import Coordinator
import Foundation
import SafeTensors
import XCTest

/// Membrane files depend on their inputs only; a run that fails ends with a final status and no
/// control socket; one killed with `kill -9` leaves files the next run cleans up before resuming.
final class RunFilesTests: XCTestCase {
    /// Two libraries from one catalog: one run straight through; the other with its coordinator
    /// killed (`kill -9`) mid-run, then re-run. The killed run's leftovers (status.json saying
    /// running, its control socket, a temporary file of its pid) are reported by `membrane status`,
    /// cleaned up and logged by the re-run, and every membrane file is byte-identical to the
    /// uninterrupted run's. While it runs, the coordinator keeps answering after a 64 MB message,
    /// and its socket is private.
    func testKilledRunIsCleanedUpAndResumesToByteIdenticalFiles() throws {
        let folder = try Runs.folder()
        defer { try? FileManager.default.removeItem(at: folder) }
        let concepts = "  - name: red\n    iterations: 12\n  - name: triangle\n    la_strength: 500"
        let catalogURL = try Runs.writeCatalog(in: folder, concepts: concepts, iterations: 6, every: 1)
        let straight = Library(directory: folder.appendingPathComponent("a"))
        let first = try Runs.run(np: 3, catalog: catalogURL, library: straight.directory)
        XCTAssertEqual(first.status, 0, first.err)
        XCTAssertEqual(RunStatus.read(library: straight)?.state, .finished)
        XCTAssertFalse(FileManager.default.fileExists(atPath: straight.controlFolderURL.path), "control socket left after a normal end")
        let entry = try XCTUnwrap(try straight.readIndex().entries["red"])
        XCTAssertEqual(entry.host, ProcessInfo.processInfo.hostName)
        XCTAssertGreaterThan(entry.seconds, 0)
        let metadata = try SafeTensorsFile(url: straight.membraneURL("red")).metadata
        XCTAssertFalse(metadata.keys.contains { $0.contains("seconds") || $0.contains("host") || $0.contains("date") }, "\(metadata.keys.sorted())")
        XCTAssertFalse(metadata.values.contains { $0.contains(ProcessInfo.processInfo.hostName) })

        let killed = Library(directory: folder.appendingPathComponent("b"))
        let run = try Runs.start(np: 3, catalog: catalogURL, library: killed.directory)
        XCTAssertTrue(Runs.waitUntil(timeout: 120) {
            (RunStatus.read(library: killed)?.jobs.first { $0.name == "red" }?.iteration ?? 0) >= 2
        }, "red never reached iteration 2")
        XCTAssertEqual(try mode(killed.controlFolderURL.path), 0o700)
        XCTAssertEqual(try mode(killed.controlSocketURL.path), 0o600)
        let big = try ZMQContext().socket(.req)
        defer { big.close() }
        try big.setLinger(.zero)
        try big.connect(killed.defaultControlEndpoint)
        try big.send(Data(repeating: 0x5B, count: 64 << 20))
        let asked = Date()
        let live = try ControlClient.liveStatus(endpoint: killed.defaultControlEndpoint)
        XCTAssertEqual(live?.state, .running, "no status after a 64 MB message")
        XCTAssertLessThan(Date().timeIntervalSince(asked), 5)
        // An unknown job: a typed refusal listing the run's jobs; the command names what it asked.
        let cancel = try Runs.Child(try Runs.membrane(), ["cancel", "--library", killed.directory.path, "nosuch"], folder: folder).wait(timeout: 30)
        XCTAssertNotEqual(cancel.status, 0)
        XCTAssertTrue(cancel.err.contains("no job 'nosuch' in this run (jobs: red, triangle)"), cancel.err)

        let coordinator = try XCTUnwrap(RunStatus.read(library: killed)?.pid)
        kill(coordinator, SIGKILL)
        let end = run.wait(timeout: 60)
        XCTAssertNotEqual(end.status, 0)
        XCTAssertEqual(RunStatus.read(library: killed)?.state, .running, "a killed run cannot write its final state")
        XCTAssertTrue(FileManager.default.fileExists(atPath: killed.controlSocketURL.path))
        // What a write cut short by the kill leaves: a temporary file of the dead coordinator.
        let temporary = killed.folder("red").appendingPathComponent(
            AtomicFile.temporaryName(for: LibraryLayout.checkpoint, pid: coordinator, suffix: 0xdead)).path
        XCTAssertTrue(FileManager.default.createFile(atPath: temporary, contents: Data("partial".utf8)))

        let status = try Runs.Child(try Runs.membrane(), ["status", "--library", killed.directory.path], folder: folder).wait(timeout: 30)
        XCTAssertEqual(status.status, 0, status.err)
        XCTAssertTrue(status.out.contains("pid \(coordinator) on \(ProcessInfo.processInfo.hostName) is not running"), status.out)

        let rerun = try Runs.run(np: 3, catalog: catalogURL, library: killed.directory)
        XCTAssertEqual(rerun.status, 0, rerun.err)
        XCTAssertTrue(rerun.err.contains("pid \(coordinator)") && rerun.err.contains("ended without finishing"), rerun.err)
        XCTAssertTrue(rerun.err.contains("removed its control socket"), rerun.err)
        XCTAssertTrue(rerun.err.contains("removed \(temporary)"), rerun.err)
        XCTAssertTrue(rerun.err.contains("resuming from its checkpoint"), rerun.err)
        XCTAssertFalse(FileManager.default.fileExists(atPath: temporary))
        XCTAssertEqual(RunStatus.read(library: killed)?.state, .finished)
        XCTAssertFalse(FileManager.default.fileExists(atPath: killed.controlFolderURL.path))
        for name in ["red", "triangle"] {
            let a = try Data(contentsOf: straight.membraneURL(name))
            let b = try Data(contentsOf: killed.membraneURL(name))
            XCTAssertTrue(a == b, "\(name): the killed and resumed run's file differs from the uninterrupted run's")
        }
    }

    /// A run whose coordinator fails (a file where a concept folder must go) writes status
    /// `failed`, removes its control socket and exits non-zero; the error names the path.
    func testFailedRunEndsWithStatusFailedAndNoSocket() throws {
        let folder = try Runs.folder()
        defer { try? FileManager.default.removeItem(at: folder) }
        let catalogURL = try Runs.writeCatalog(in: folder, concepts: "  - name: red", iterations: 2, every: 1)
        let library = Library(directory: folder.appendingPathComponent("lib"))
        try library.create()
        XCTAssertTrue(FileManager.default.createFile(atPath: library.folder("red").path, contents: Data("in the way".utf8)))
        let end = try Runs.run(np: 2, catalog: catalogURL, library: library.directory)
        XCTAssertNotEqual(end.status, 0)
        XCTAssertTrue(end.err.contains("\(library.folder("red").path): exists but is not a folder"), end.err)
        XCTAssertEqual(RunStatus.read(library: library)?.state, .failed, end.err)
        XCTAssertFalse(FileManager.default.fileExists(atPath: library.controlFolderURL.path))
    }

    func mode(_ path: String) throws -> Int {
        var info = stat()
        guard lstat(path, &info) == 0 else { throw CocoaError(.fileNoSuchFile) }
        return Int(info.st_mode & 0o777)
    }
}
