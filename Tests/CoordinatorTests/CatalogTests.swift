import XCTest
@testable import Coordinator

final class CatalogTests: XCTestCase {
    func testPlaceholder() {}
}
