import Foundation
import XCTest
@testable import TorchCheckpoint

/// The committed `.ckpt` fixtures (see Fixtures/make_fixtures.py) and assertions over them.
enum TorchFixtures {
    static let directory = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent()
        .appendingPathComponent("Fixtures")

    static func url(_ name: String) -> URL {
        directory.appendingPathComponent(name)
    }

    static func open(_ name: String, limits: TorchCheckpointLimits = .standard) throws -> TorchCheckpointFile {
        try TorchCheckpointFile(url: url(name), limits: limits)
    }
}

/// Asserts that `body` throws a ``TorchCheckpointError`` of `kind` whose description names the
/// file and contains every string in `mentions`.
func assertTorchError<T>(_ kind: TorchCheckpointError.Kind, mentions: [String] = [],
                         file: StaticString = #filePath, line: UInt = #line,
                         _ body: () throws -> T) {
    do {
        _ = try body()
        XCTFail("expected a \(kind) error, got success", file: file, line: line)
    } catch let error as TorchCheckpointError {
        XCTAssertEqual(error.kind, kind, "\(error)", file: file, line: line)
        XCTAssertTrue(error.description.hasPrefix(error.path + ": "), "\(error)", file: file, line: line)
        XCTAssertTrue(error.path.hasSuffix(".ckpt"), "\(error)", file: file, line: line)
        for mention in mentions {
            XCTAssertTrue(error.description.contains(mention), "'\(error)' should mention '\(mention)'", file: file, line: line)
        }
    } catch {
        XCTFail("expected a TorchCheckpointError, got \(error)", file: file, line: line)
    }
}

/// Asserts that opening fixture `name` fails with `kind`, naming the fixture and `mentions`.
func assertRefused(_ name: String, _ kind: TorchCheckpointError.Kind, mentions: [String] = [],
                   limits: TorchCheckpointLimits = .standard,
                   file: StaticString = #filePath, line: UInt = #line) {
    assertTorchError(kind, mentions: [name] + mentions, file: file, line: line) {
        try TorchFixtures.open(name, limits: limits)
    }
}
