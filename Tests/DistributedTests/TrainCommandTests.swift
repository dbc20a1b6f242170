import Foundation
import XCTest

/// `membrane train` as a user runs it: the file name on standard output, logs and progress on
/// standard error in the chosen format.
final class TrainCommandTests: XCTestCase {
    private let config = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        .appendingPathComponent("configs/shapesworld/red.yaml")
    private var out: URL!

    override func setUpWithError() throws {
        out = FileManager.default.temporaryDirectory.appendingPathComponent("membrane-train-\(UUID().uuidString).safetensors")
    }

    override func tearDownWithError() throws {
        try? FileManager.default.removeItem(at: out)
    }

    private func train(_ extra: [String]) throws -> MembraneBinary.Output {
        try MembraneBinary.run(try MembraneBinary.locate(), [
            "train", "--config", config.path, "--iterations", "2", "--out", out.path,
        ] + extra)
    }

    func testTextProgressGoesToStandardErrorAndOnlyTheFileToStandardOutput() throws {
        let result = try train([])
        XCTAssertEqual(result.status, 0, result.stderr)
        XCTAssertEqual(result.stdout, "wrote \(out.path)\n")
        XCTAssertTrue(FileManager.default.fileExists(atPath: out.path))
        // Not a terminal: the first and the last update as log lines, no bar.
        let progress = result.stderr.split(separator: "\n").filter { $0.contains(" info train: ") && $0.contains("/2 (") }
        XCTAssertEqual(progress.count, 2, result.stderr)
        XCTAssertTrue(progress[0].contains("info train: 1/2 (50%)  erase "), result.stderr)
        XCTAssertTrue(progress[1].contains("info train: 2/2 (100%)  erase "), result.stderr)
        for part in ["  anchor ", " it/s  ", "took "] {
            XCTAssertTrue(progress[1].contains(part), "missing \(part) in \(progress[1])")
        }
        XCTAssertFalse(result.stderr.contains("["), "no bar when standard error is a file:\n\(result.stderr)")
        XCTAssertTrue(result.stderr.contains("info train: trained "), result.stderr)
    }

    func testJSONLinesOnStandardErrorParseBack() throws {
        let result = try train(["--log-format", "json", "--log-level", "debug"])
        XCTAssertEqual(result.status, 0, result.stderr)
        XCTAssertEqual(result.stdout, "wrote \(out.path)\n")
        var messages: [String] = []
        var lastProgress: [String: String] = [:]
        for line in result.stderr.split(separator: "\n") {
            let object = try XCTUnwrap(try JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any],
                                       "not a JSON object: \(line)")
            XCTAssertEqual(object["label"] as? String, "train")
            XCTAssertNotNil(object["time"] as? String)
            XCTAssertNotNil(object["level"] as? String)
            let metadata = object["metadata"] as? [String: String] ?? [:]
            if metadata["done"] != nil { lastProgress = metadata }
            messages.append(try XCTUnwrap(object["message"] as? String))
        }
        XCTAssertEqual(messages.first, "loading model", "debug entries shown at --log-level debug")
        XCTAssertEqual(messages.last, "trained")
        XCTAssertEqual(lastProgress["done"], "2")
        XCTAssertEqual(lastProgress["total"], "2")
        XCTAssertNotNil(lastProgress["erase"].flatMap(Double.init), "\(lastProgress)")
        XCTAssertNotNil(lastProgress["anchor"].flatMap(Double.init), "\(lastProgress)")
    }

    /// The same inputs give the same file, byte for byte: no timing, host or date in it (the
    /// training time is logged instead).
    func testSameInputsGiveByteIdenticalFiles() throws {
        let first = try train([])
        XCTAssertEqual(first.status, 0, first.stderr)
        XCTAssertTrue(first.stderr.contains("info train: trained ") && first.stderr.contains("seconds="), first.stderr)
        let bytes = try Data(contentsOf: out)
        let second = try train([])
        XCTAssertEqual(second.status, 0, second.stderr)
        XCTAssertTrue(try Data(contentsOf: out) == bytes, "a second training with the same inputs wrote other bytes")
        XCTAssertFalse(String(decoding: bytes.prefix(65536), as: UTF8.self).contains("seconds"))
    }

    func testUnknownLogOptionsAreRejected() throws {
        let level = try train(["--log-level", "loud"])
        XCTAssertNotEqual(level.status, 0)
        XCTAssertTrue(level.stderr.contains("--log-level"), level.stderr)
        let format = try train(["--log-format", "xml"])
        XCTAssertNotEqual(format.status, 0)
        XCTAssertTrue(format.stderr.contains("--log-format"), format.stderr)
    }
}
