import AtomicFiles
@testable import Coordinator
import Foundation
import XCTest

/// What a run killed with `kill -9` leaves behind (status.json saying running, a control socket,
/// temporary files of its writes), and how the next run cleans it up or refuses to touch it.
final class StaleRunTests: XCTestCase {
    var folder: URL!
    var library: Library!

    override func setUpWithError() throws {
        folder = try Runs.folder()
        library = Library(directory: folder.appendingPathComponent("lib"))
        try library.create()
    }

    override func tearDownWithError() throws { try? FileManager.default.removeItem(at: folder) }

    /// The pid of a process that has ended.
    func deadPid() throws -> Int32 {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/bin/true")
        try process.run()
        process.waitUntilExit()
        XCTAssertFalse(RunOwner.processExists(process.processIdentifier))
        return process.processIdentifier
    }

    /// Writes what a killed run leaves: its owner in the lock file, status.json saying running,
    /// a control socket file, and temporary files. Returns the temporary files' paths (dead, live).
    func leaveKilledRun(owner: RunOwner) throws -> (dead: [String], live: String) {
        try JSONEncoder().encode(owner).write(to: library.lockURL)
        let status = RunStatus(state: .running, library: library.directory.path, catalog: "/c.yaml", control: library.defaultControlEndpoint,
                               host: owner.host, pid: owner.pid, started: owner.started, updated: owner.started, workers: 2,
                               groupSize: 1, heartbeatTimeout: 60, jobs: [], ranks: [])
        let encoder = JSONEncoder()
        encoder.keyEncodingStrategy = .convertToSnakeCase
        try encoder.encode(status).write(to: library.statusURL)
        try FileManager.default.createDirectory(at: library.controlFolderURL, withIntermediateDirectories: true)
        XCTAssertTrue(FileManager.default.createFile(atPath: library.controlSocketURL.path, contents: Data()))
        try library.createFolder("red")
        let dead = [library.folder("red").appendingPathComponent(AtomicFile.temporaryName(for: "red.safetensors", pid: owner.pid, suffix: 0x1a2b)).path,
                    library.directory.appendingPathComponent(AtomicFile.temporaryName(for: "index.json", pid: owner.pid, suffix: 7)).path]
        let live = library.directory.appendingPathComponent(AtomicFile.temporaryName(for: "status.json", pid: getpid(), suffix: 9)).path
        for path in dead + [live] { XCTAssertTrue(FileManager.default.createFile(atPath: path, contents: Data("partial".utf8))) }
        return (dead, live)
    }

    /// Same host, pid gone: status marked failed, socket and dead writers' files removed, a live
    /// process's file kept, the folders synced, and each action reported.
    func testKilledRunOnThisHostIsCleanedAndReported() throws {
        let owner = RunOwner(host: ProcessInfo.processInfo.hostName, pid: try deadPid(), started: "2025-01-01T00:00:00Z")
        let files = try leaveKilledRun(owner: owner)
        let synced = SyncRecorder()
        library.syncFolder = { synced.add($0) }
        let lock = try LibraryLock(library: library)
        XCTAssertEqual(lock.previousOwner, owner)
        let notes = try library.recoverStaleRun(previousOwner: lock.previousOwner)
        XCTAssertEqual(RunStatus.read(library: library)?.state, .failed)
        XCTAssertTrue(notes.contains { $0.contains("pid \(owner.pid) on \(owner.host)") && $0.contains("ended without finishing") }, "\(notes)")
        XCTAssertFalse(FileManager.default.fileExists(atPath: library.controlSocketURL.path))
        XCTAssertFalse(FileManager.default.fileExists(atPath: library.controlFolderURL.path))
        for path in files.dead {
            XCTAssertFalse(FileManager.default.fileExists(atPath: path), path)
            XCTAssertTrue(notes.contains { $0.contains(path) }, "\(notes)")
        }
        XCTAssertTrue(FileManager.default.fileExists(atPath: files.live), "a running process's temporary file was removed")
        XCTAssertEqual(Set(synced.folders), [library.directory.path, library.folder("red").standardizedFileURL.path])
        // The lock file now names this process.
        let recorded = try JSONDecoder().decode(RunOwner.self, from: Data(contentsOf: library.lockURL))
        XCTAssertEqual(recorded.pid, getpid())
        XCTAssertEqual(recorded.startTicks, RunOwner.current().startTicks)
        XCTAssertNotNil(recorded.bootID)
        lock.release()
        // A second recovery finds nothing left to do.
        XCTAssertEqual(try library.recoverStaleRun(previousOwner: recorded), [])
    }

    /// Another host's run whose status.json is fresh may be alive: nothing is touched (busy).
    /// Once the status is older than the window, the run counts as gone and is cleaned up.
    func testRunOnAnotherHostIsNeverBrokenWhileItsStatusIsFresh() throws {
        let owner = RunOwner(host: "elsewhere.invalid", pid: 4242, started: "2025-01-01T00:00:00Z")
        let files = try leaveKilledRun(owner: owner)
        let status = try Data(contentsOf: library.statusURL)
        XCTAssertThrowsError(try library.recoverStaleRun(previousOwner: owner)) { error in
            XCTAssertTrue(error is LibraryBusyError, "\(error)")
            XCTAssertTrue("\(error)".contains("pid 4242 on elsewhere.invalid"), "\(error)")
            XCTAssertTrue("\(error)".contains("nothing was changed"), "\(error)")
        }
        XCTAssertEqual(try Data(contentsOf: library.statusURL), status)
        XCTAssertTrue(FileManager.default.fileExists(atPath: library.controlSocketURL.path))
        for path in files.dead { XCTAssertTrue(FileManager.default.fileExists(atPath: path), path) }

        let old = Date().addingTimeInterval(-(Library.liveStatusWindow + 60))
        try FileManager.default.setAttributes([.modificationDate: old], ofItemAtPath: library.statusURL.path)
        let notes = try library.recoverStaleRun(previousOwner: owner)
        XCTAssertEqual(RunStatus.read(library: library)?.state, .failed)
        XCTAssertTrue(notes.contains { $0.contains("elsewhere.invalid") }, "\(notes)")
        XCTAssertFalse(FileManager.default.fileExists(atPath: library.controlSocketURL.path))
    }

    /// A recorded owner alive on this host is never cleaned up after, even holding no lock.
    func testLiveOwnerOnThisHostIsBusy() throws {
        let files = try leaveKilledRun(owner: RunOwner.current())
        XCTAssertThrowsError(try library.recoverStaleRun(previousOwner: RunOwner.current())) { error in
            XCTAssertTrue("\(error)".contains("alive but without the lock"), "\(error)")
        }
        XCTAssertEqual(RunStatus.read(library: library)?.state, .running)
        XCTAssertTrue(FileManager.default.fileExists(atPath: files.dead[0]))
    }

    /// A pid reused by another process, or a pid from before a reboot, is not the owner.
    func testReusedPidOrRebootMeansTheOwnerIsGone() throws {
        var me = RunOwner.current()
        XCTAssertEqual(me.isAlive(), true)
        XCTAssertNil(me.isAlive(thisHost: "another-host"))
        me.startTicks = (me.startTicks ?? 0) + 1
        XCTAssertEqual(me.isAlive(), false)
        me = RunOwner.current()
        me.bootID = "00000000-0000-0000-0000-000000000000"
        XCTAssertEqual(me.isAlive(), false)
        XCTAssertEqual(RunOwner(host: me.host, pid: try deadPid(), started: "").isAlive(), false)
    }

    /// A killed process its parent has not reaped yet (a zombie) holds no lock and counts as gone.
    func testZombieCountsAsGone() throws {
        let child = fork()
        if child == 0 { _exit(0) }
        XCTAssertGreaterThan(child, 0)
        defer { var status: Int32 = 0; waitpid(child, &status, 0) }
        XCTAssertTrue(Runs.waitUntil(timeout: 10) { (try? String(contentsOfFile: "/proc/\(child)/stat", encoding: .utf8))?.contains(") Z ") == true })
        XCTAssertEqual(kill(child, 0), 0, "the zombie should still have its pid")
        XCTAssertFalse(RunOwner.processExists(child))
        XCTAssertEqual(RunOwner(host: ProcessInfo.processInfo.hostName, pid: child, started: "").isAlive(), false)
    }

    /// Creating a concept folder syncs the library folder (once: an existing folder is left alone).
    func testCreatingAConceptFolderSyncsTheLibraryFolder() throws {
        let synced = SyncRecorder()
        library.syncFolder = { synced.add($0) }
        try library.createFolder("blue")
        XCTAssertEqual(synced.folders, [library.directory.path])
        try library.createFolder("blue")
        XCTAssertEqual(synced.folders, [library.directory.path])
        var fresh = Library(directory: folder.appendingPathComponent("new-lib"))
        fresh.syncFolder = { synced.add($0) }
        try fresh.create()
        XCTAssertEqual(synced.folders.last, folder.standardizedFileURL.path)
        XCTAssertTrue(FileManager.default.createFile(atPath: library.folder("file").path, contents: Data()))
        XCTAssertThrowsError(try library.createFolder("file")) { XCTAssertTrue("\($0)".contains("exists but is not a folder"), "\($0)") }
    }
}

/// Records the folders a library syncs.
final class SyncRecorder: @unchecked Sendable {
    private let lock = NSLock()
    private var list: [String] = []
    var folders: [String] { lock.lock(); defer { lock.unlock() }; return list }
    func add(_ url: URL) { lock.lock(); list.append(url.standardizedFileURL.path); lock.unlock() }
}
