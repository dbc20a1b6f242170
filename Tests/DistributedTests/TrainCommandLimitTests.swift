import Foundation
import XCTest

/// `membrane train` with command-line values out of range: a clear error naming the option, the
/// key and the range, exit non-zero, no membrane written, no trap.
final class TrainCommandLimitTests: XCTestCase {
    private let config = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        .appendingPathComponent("configs/shapesworld/red.yaml")
    private var out: URL!

    override func setUpWithError() throws {
        out = FileManager.default.temporaryDirectory.appendingPathComponent("membrane-limit-\(UUID().uuidString).safetensors")
    }

    override func tearDownWithError() throws { try? FileManager.default.removeItem(at: out) }

    private func train(_ extra: [String]) throws -> MembraneBinary.Output {
        try MembraneBinary.run(try MembraneBinary.locate(), ["train", "--config", config.path, "--out", out.path] + extra, timeout: 60)
    }

    func testSeedBeyondTheLimitIsRefused() throws {
        let result = try train(["--iterations", "1", "--seed", "18446744073709551615"])
        XCTAssertEqual(result.status, 1, result.stderr)
        XCTAssertTrue(result.stderr.contains("--seed: 'seed' must be a whole number in 0...9223372036854775807, found 18446744073709551615"), result.stderr)
        XCTAssertFalse(FileManager.default.fileExists(atPath: out.path))
    }

    func testIterationsBeyondTheLimitAreRefused() throws {
        let result = try train(["--iterations", "9223372036854775807"])
        XCTAssertEqual(result.status, 1, result.stderr)
        XCTAssertTrue(result.stderr.contains("'iterations' must be a whole number in 1...10000000, found 9223372036854775807"), result.stderr)
        XCTAssertFalse(FileManager.default.fileExists(atPath: out.path))
    }
}
