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
}
