import Foundation
import XCTest

/// `membrane generate`, `tokenize` and `inspect` run as a user runs them.
final class GenerateCommandTests: XCTestCase {
    func testGenerateWritesNumberedImagesAndGrid() throws {
        let out = FileManager.default.temporaryDirectory.appendingPathComponent("membrane-gen-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: out) }
        let result = try MembraneBinary.run(try MembraneBinary.locate(), [
            "generate", "--prompt", "a red circle", "--prompt", "a blue square", "--images-per-prompt", "2",
            "--steps", "3", "--cfg", "5", "--seed", "4", "--out", out.path,
        ])
        XCTAssertEqual(result.status, 0, result.stderr)
        let files = try FileManager.default.contentsOfDirectory(atPath: out.path).sorted()
        XCTAssertEqual(files, ["0000.png", "0001.png", "0002.png", "0003.png", "grid.png"])
        // Not a terminal: progress is a log line for the first and the last step (2 pictures per
        // prompt in one batch of 4: 3 steps in all).
        XCTAssertTrue(result.stderr.contains("generate: 3/3 (100%)") && result.stderr.contains("step/s"), result.stderr)
    }

    func testGenerateRejectsBadFlagsClearly() throws {
        let binary = try MembraneBinary.locate()
        let noPrompt = try MembraneBinary.run(binary, ["generate", "--out", "/tmp/x"])
        XCTAssertNotEqual(noPrompt.status, 0)
        XCTAssertTrue(noPrompt.stderr.contains("--prompt"), noPrompt.stderr)
        let badTransport = try MembraneBinary.run(binary, ["generate", "--prompt", "a", "--transport", "loose", "--out", "/tmp/x"])
        XCTAssertNotEqual(badTransport.status, 0)
        XCTAssertTrue(badTransport.stderr.contains("fixed:W"), badTransport.stderr)
        let missingMembrane = try MembraneBinary.run(binary, ["generate", "--prompt", "a", "--steps", "1", "--membrane", "/nonexistent/m.safetensors", "--out", "/tmp/x"])
        XCTAssertNotEqual(missingMembrane.status, 0)
        XCTAssertTrue(missingMembrane.stderr.contains("/nonexistent/m.safetensors"), missingMembrane.stderr)
        let missingModel = try MembraneBinary.run(binary, ["generate", "--model", "/nonexistent/model", "--prompt", "a", "--out", "/tmp/x"])
        XCTAssertNotEqual(missingModel.status, 0)
        XCTAssertTrue(missingModel.stderr.contains("/nonexistent/model"), missingModel.stderr)
    }

    func testTokenizePrintsSeventySevenIDs() throws {
        let result = try MembraneBinary.run(try MembraneBinary.locate(), ["tokenize", "a red circle"])
        XCTAssertEqual(result.status, 0, result.stderr)
        let ids = try JSONDecoder().decode([Int].self, from: Data(result.stdout.utf8))
        XCTAssertEqual(ids.count, 77)
        XCTAssertEqual(ids.first, 144)
    }

    func testInspectSummarisesTheEmbeddedModel() throws {
        let result = try MembraneBinary.run(try MembraneBinary.locate(), ["inspect"])
        XCTAssertEqual(result.status, 0, result.stderr)
        for expected in ["channels [32, 64, 64]", "CrossAttnDownBlock2D", "membrane sites: 132", "params unet"] {
            XCTAssertTrue(result.stdout.contains(expected), "missing \(expected) in\n\(result.stdout)")
        }
    }
}
