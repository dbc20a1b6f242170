import Evaluation
import Foundation
import TestSupport
import XCTest

/// The shared model whose folder holds a synonyms file, found by that file rather than by name.
enum SynonymsFixture {
    /// The first folder of the shared models with a ``ShapesWorldSynonyms/fileName``.
    static func model() throws -> URL {
        let models = Fixtures.shared.appendingPathComponent("models")
        let folders = try FileManager.default.contentsOfDirectory(at: models, includingPropertiesForKeys: nil)
        let found = folders.sorted { $0.path < $1.path }.first { ShapesWorldSynonyms.file(inModel: $0) != nil }
        return try XCTUnwrap(found, "no model folder in \(models.path) has a \(ShapesWorldSynonyms.fileName)")
    }

    /// The synonyms file of ``model()``.
    static func file() throws -> URL {
        try XCTUnwrap(ShapesWorldSynonyms.file(inModel: try model()))
    }
}
