import AtomicFiles
import Coordinator
import Foundation
import TestSupport
import XCTest

/// The concept-name grammar (``LibraryName``): bytes, characters, the library's own names, and
/// refusal before anything is written.
final class LibraryNameTests: XCTestCase {
    func testAcceptedNames() {
        for name in ["red", "Red Triangle", "van-gogh_v1.2", "a+b,c", "a..b", "größe", "日本語", "e\u{301}te", "x",
                     String(repeating: "a", count: LibraryName.maxBytes)] {
            XCTAssertNil(LibraryName.problem(name), name)
        }
    }

    /// Each rule, with the message naming what is wrong.
    func testRefusedNamesSayWhy() {
        let cases: [(String, String)] = [
            ("", "must not be empty"),
            ("a/b", "contains U+002F '/' at byte 1"),
            ("a\\b", "contains U+005C"),
            ("a\u{0}b", "contains U+0000 at byte 1"),
            ("a\nb", "contains U+000A at byte 1"),
            ("a\u{7F}", "contains U+007F"),
            ("é:x", "contains U+003A ':' at byte 2"),
            ("a*?", "contains U+002A"),
            ("smile😀", "contains U+1F600"),
            (".", "must not start with '.'"),
            ("..", "must not start with '.'"),
            (".hidden", "must not start with '.'"),
            ("-rf", "must not start with '-'"),
            (" red", "must not start with ' '"),
            ("red ", "must not end with ' '"),
            ("red.", "must not end with '.'"),
            ("index.json", "the library's own 'index.json'"),
            ("INDEX.JSON", "the library's own 'index.json'"),
            ("Status.json", "the library's own 'status.json'"),
            ("checkpoint", "the library's own 'checkpoint.safetensors'"),
            ("CheckPoint", "the library's own 'checkpoint.safetensors'"),
            ("con", "device name on Windows"),
            ("NUL.txt", "device name on Windows"),
            ("com1", "device name on Windows"),
        ]
        for (name, expected) in cases {
            let problem = LibraryName.problem(name) ?? "accepted"
            XCTAssertTrue(problem.contains(expected), "\(name.debugDescription): \(problem) does not say \(expected)")
        }
    }

    /// The limit counts bytes, not characters, and keeps every derived file name within 255 bytes.
    func testLimitIsInBytesAndFitsTheLongestDerivedName() throws {
        XCTAssertEqual(LibraryName.maxBytes, 218)
        let longest = String(repeating: "a", count: LibraryName.maxBytes)
        let membrane = Library(directory: URL(fileURLWithPath: "/l")).membraneURL(longest).lastPathComponent
        let temporary = AtomicFile.temporaryName(for: membrane, pid: Int32.max, suffix: UInt32.max)
        XCTAssertEqual(temporary.utf8.count, LibraryName.fileNameLimit)
        XCTAssertNotNil(LibraryName.problem(longest + "a"))
        // 73 CJK characters are 219 bytes: refused although far below 218 characters.
        let cjk = String(repeating: "語", count: 73)
        XCTAssertTrue(LibraryName.problem(cjk)?.contains("is 219 bytes of UTF-8 (73 characters); at most 218") == true,
                      LibraryName.problem(cjk) ?? "accepted")
        XCTAssertNil(LibraryName.problem(String(repeating: "語", count: 72)))
        let emoji = String(repeating: "😀", count: 100)
        XCTAssertTrue(LibraryName.problem(emoji)?.contains("is 400 bytes of UTF-8 (100 characters)") == true)
    }

    /// Every name of the layout is refused as a concept, in any case (derived from the layout,
    /// so a file added to it is covered).
    func testEveryLayoutNameIsRefusedInAnyCase() {
        for own in LibraryLayout.topLevelNames {
            for name in [own, own.uppercased(), own.capitalized] {
                XCTAssertNotNil(LibraryName.problem(name), name)
            }
        }
        for own in LibraryLayout.conceptFolderNames where own.hasSuffix(LibraryLayout.membraneExtension) {
            let stem = String(own.dropLast(LibraryLayout.membraneExtension.count))
            XCTAssertNotNil(LibraryName.problem(stem), stem)
            XCTAssertNotNil(LibraryName.problem(stem.uppercased()), stem)
        }
    }

    /// Two concepts that would share a folder on a case-insensitive or normalizing file system.
    func testNamesDifferingOnlyInCaseOrNormalizationAreRefused() throws {
        let folder = try Runs.folder()
        defer { try? FileManager.default.removeItem(at: folder) }
        let model = Fixtures.embeddedModel.path
        for (a, b) in [("red", "Red"), ("caf\u{E9}", "cafe\u{301}")] {
            let url = folder.appendingPathComponent("catalog.yaml")
            try "model: \(model)\nconcepts:\n  - name: \(a)\n    target: red\n  - name: \(b)\n    target: blue\n"
                .write(to: url, atomically: true, encoding: .utf8)
            XCTAssertThrowsError(try Catalog.load(url), "\(a) / \(b)") { error in
                XCTAssertTrue("\(error)".contains("'concepts[1].name'"), "\(error)")
                XCTAssertTrue("\(error)".contains("differ only in case or Unicode normalization"), "\(error)")
            }
        }
    }

    /// `index.json` and a 100-emoji name through the command: exit 2 before the model is
    /// trained, and nothing written (an existing library is left byte for byte as it was).
    func testReservedAndOverlongNamesAreRefusedBeforeAnythingIsWritten() throws {
        let folder = try Runs.folder()
        defer { try? FileManager.default.removeItem(at: folder) }
        let library = folder.appendingPathComponent("lib")
        try FileManager.default.createDirectory(at: library, withIntermediateDirectories: true)
        let index = Data("{\"entries\":{},\"format_version\":1}".utf8)
        try index.write(to: library.appendingPathComponent("index.json"))
        for name in ["index.json", String(repeating: "😀", count: 100)] {
            let url = try Runs.writeCatalog(in: folder, concepts: "  - name: \(name)\n    target: red")
            let out = try Runs.Child(try Runs.membrane(), ["catalog", "run", url.path, "--library", library.path], folder: folder).wait(timeout: 60)
            XCTAssertEqual(out.status, CatalogRun.ExitCode.usage, out.err)
            XCTAssertTrue(out.err.contains("'concepts[0].name'"), out.err)
            XCTAssertEqual(try FileManager.default.contentsOfDirectory(atPath: library.path), ["index.json"])
            XCTAssertEqual(try Data(contentsOf: library.appendingPathComponent("index.json")), index)
        }
    }
}
