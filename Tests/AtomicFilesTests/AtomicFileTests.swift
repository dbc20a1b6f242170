import AtomicFiles
import Foundation
import XCTest

/// The one atomic write: whole content or the old file, no temporary file left behind.
final class AtomicFileTests: XCTestCase {
    var folder: URL!

    override func setUpWithError() throws {
        folder = FileManager.default.temporaryDirectory.appendingPathComponent("atomic-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
    }

    override func tearDownWithError() throws { try? FileManager.default.removeItem(at: folder) }

    func leftovers() throws -> [String] {
        try FileManager.default.contentsOfDirectory(atPath: folder.path).filter { $0.contains(".tmp-") }
    }

    func testWriteReplacesContentAndLeavesNoTemporaryFile() throws {
        let url = folder.appendingPathComponent("a.json")
        try AtomicFile.write(Data("old".utf8), to: url)
        try AtomicFile.write(Data("new content".utf8), to: url)
        XCTAssertEqual(try String(contentsOf: url, encoding: .utf8), "new content")
        XCTAssertEqual(try leftovers(), [])
    }

    func testFailedFillKeepsTheOldFile() throws {
        struct Boom: Error {}
        let url = folder.appendingPathComponent("b.bin")
        try AtomicFile.write(Data("kept".utf8), to: url)
        XCTAssertThrowsError(try AtomicFile.write(to: url) { fd in
            try Data("partial".utf8).withUnsafeBytes { try AtomicFile.writeAll($0, to: fd, path: url.path) }
            throw Boom()
        })
        XCTAssertEqual(try String(contentsOf: url, encoding: .utf8), "kept")
        XCTAssertEqual(try leftovers(), [])
    }

    func testMissingFolderNamesTheFile() {
        let url = folder.appendingPathComponent("no/such/dir/c.bin")
        XCTAssertThrowsError(try AtomicFile.write(Data("x".utf8), to: url)) { error in
            XCTAssertTrue("\(error)".contains(url.path), "\(error)")
        }
    }

    func testReplaceMovesTheProducedFileIntoPlace() throws {
        let url = folder.appendingPathComponent("d.txt")
        try AtomicFile.replace(url) { temporary in
            XCTAssertTrue(temporary.hasPrefix(self.folder.path + "/.d.txt.tmp-"))
            try Data("made elsewhere".utf8).write(to: URL(fileURLWithPath: temporary))
        }
        XCTAssertEqual(try String(contentsOf: url, encoding: .utf8), "made elsewhere")
        XCTAssertEqual(try leftovers(), [])
    }

    /// Temporary names parse back to their target and pid, and never exceed the documented overhead.
    func testTemporaryNamesRoundTripAndStayWithinTheOverhead() {
        let longest = AtomicFile.temporaryName(for: "x.safetensors", pid: Int32.max, suffix: UInt32.max)
        XCTAssertEqual(longest.utf8.count, "x.safetensors".utf8.count + AtomicFile.temporaryNameOverhead)
        XCTAssertEqual(AtomicFile.temporaryFileOwner(longest)?.target, "x.safetensors")
        XCTAssertEqual(AtomicFile.temporaryFileOwner(longest)?.pid, Int32.max)
        let dotted = AtomicFile.temporaryName(for: "a.tmp-1-2", pid: 42, suffix: 0xbeef)
        XCTAssertEqual(AtomicFile.temporaryFileOwner(dotted)?.target, "a.tmp-1-2")
        XCTAssertEqual(AtomicFile.temporaryFileOwner(dotted)?.pid, 42)
        for other in ["index.json", ".index.json", ".a.tmp-", ".a.tmp-12", ".a.tmp-x-1f", ".a.tmp-12-", ".a.tmp-12-xyz",
                      ".a.tmp-0-1", ".a.tmp-12-123456789", "a.tmp-12-1f", "..tmp-12-1f"] {
            XCTAssertNil(AtomicFile.temporaryFileOwner(other), other)
        }
    }

    /// A write in progress uses a name that ``AtomicFile/temporaryFileOwner(_:)`` recognises with this pid.
    func testWriteUsesARecognisableTemporaryName() throws {
        let url = folder.appendingPathComponent("c.bin")
        var seen: [String] = []
        try AtomicFile.write(to: url) { _ in seen = try self.leftovers() }
        XCTAssertEqual(seen.count, 1)
        XCTAssertEqual(AtomicFile.temporaryFileOwner(seen[0])?.target, "c.bin")
        XCTAssertEqual(AtomicFile.temporaryFileOwner(seen[0])?.pid, getpid())
    }
}
