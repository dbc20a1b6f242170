import Evaluation
import Foundation
import TestSupport
import XCTest

/// The shared model that knows synonyms (``Fixtures/synonymsModel``) and its synonyms file.
enum SynonymsFixture {
    /// The model folder.
    static func model() throws -> URL {
        _ = try file()
        return Fixtures.synonymsModel
    }

    /// Its ``ShapesWorldSynonyms/fileName``.
    static func file() throws -> URL {
        try XCTUnwrap(ShapesWorldSynonyms.file(inModel: Fixtures.synonymsModel), "no shared model folder has a \(ShapesWorldSynonyms.fileName)")
    }
}
