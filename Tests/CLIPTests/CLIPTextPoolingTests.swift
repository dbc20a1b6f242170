import Foundation
import XCTest
@testable import CLIP

/// The pooled text position: transformers' legacy largest-id rule for eos_token_id 2, the first
/// end token otherwise.
final class CLIPTextPoolingTests: XCTestCase {
    func testLegacyRulePoolsAtTheFirstLargestID() {
        XCTAssertEqual(CLIPTextPooling.position(of: [10, 5, 99, 3, 99], eosTokenID: 2), 2)
        XCTAssertEqual(CLIPTextPooling.position(of: [10, 5, 3], eosTokenID: 2), 0)
    }

    func testEOSRulePoolsAtTheFirstEndToken() {
        XCTAssertEqual(CLIPTextPooling.position(of: [7, 1, 900, 4, 900], eosTokenID: 4), 3)
        XCTAssertEqual(CLIPTextPooling.position(of: [7, 1, 4, 4], eosTokenID: 4), 2)
        XCTAssertEqual(CLIPTextPooling.position(of: [7, 1, 8], eosTokenID: 4), 0, "no end token: position 0")
        XCTAssertEqual(CLIPTextPooling.position(of: [], eosTokenID: 4), 0)
    }

    /// Hand-made rows where the two rules disagree, through both fixture models.
    func testCraftedRowsMatchTransformers() throws {
        for (folder, name) in [(CLIPFixtures.quickGelu, "quickgelu"), (CLIPFixtures.gelu, "gelu")] {
            let model = try CLIPModel.load(folder: folder)
            let g = try CLIPFixtures.goldens(name)
            let rows = try CLIPFixtures.idRows(g, "crafted_ids")
            let features = try model.textEmbeddings(tokenIDs: rows, normalized: false)
            for (i, (a, b)) in zip(features, try CLIPFixtures.rows(g, "crafted_features")).enumerated() {
                XCTAssertLessThan(CLIPFixtures.maxError(a, b), 1e-4, "\(name) row \(i)")
            }
        }
    }

    func testBadTokenRowsAreRefused() throws {
        let model = try CLIPModel.load(folder: CLIPFixtures.gelu)
        XCTAssertThrowsError(try model.textEmbeddings(tokenIDs: [[1, 2], [1]])) { XCTAssertTrue("\($0)".contains("row 1"), "\($0)") }
        XCTAssertThrowsError(try model.textEmbeddings(tokenIDs: [[1, 100_000]])) { XCTAssertTrue("\($0)".contains("100000"), "\($0)") }
        XCTAssertThrowsError(try model.textEmbeddings(tokenIDs: [Array(repeating: 1, count: 78)])) { XCTAssertTrue("\($0)".contains("78"), "\($0)") }
    }
}
