import Foundation
import TestSupport
import XCTest

/// `membrane convert` and `membrane generate --model X.safetensors`, run as a user would.
final class SingleFileCommandTests: XCTestCase {
    func testConvertThenGenerateFromTheSingleFileMatchesTheFolder() throws {
        let binary = try MembraneBinary.locate()
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("membrane-single-cli-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        let single = dir.appendingPathComponent("a.safetensors").path
        let convert = try MembraneBinary.run(binary, ["convert", "--model", Fixtures.modelA.path, "--out", single])
        XCTAssertEqual(convert.status, 0, convert.stderr)
        let again = try MembraneBinary.run(binary, ["convert", "--model", single, "--model-config", Fixtures.modelA.path, "--out", single])
        XCTAssertNotEqual(again.status, 0)
        XCTAssertTrue(again.stderr.contains("refusing to overwrite"), again.stderr)
        func generate(_ model: [String], _ out: String) throws -> Data {
            let run = try MembraneBinary.run(binary, ["generate"] + model + ["--prompt", "a red circle", "--steps", "3", "--cfg", "5",
                                                                          "--out", dir.appendingPathComponent(out).path])
            XCTAssertEqual(run.status, 0, run.stderr)
            return try Data(contentsOf: dir.appendingPathComponent(out).appendingPathComponent("0000.png"))
        }
        let fromFolder = try generate(["--model", Fixtures.modelA.path], "folder")
        let fromSingle = try generate(["--model", single, "--model-config", Fixtures.modelA.path], "single")
        XCTAssertEqual(fromFolder, fromSingle)
        let back = dir.appendingPathComponent("back").path
        let toFolder = try MembraneBinary.run(binary, ["convert", "--model", single, "--model-config", Fixtures.modelA.path, "--out", back])
        XCTAssertEqual(toFolder.status, 0, toFolder.stderr)
        XCTAssertEqual(try generate(["--model", back], "back"), fromFolder)
    }
}
