@testable import TensorEngine
import XCTest

/// The buffer pool keeps idle buffers up to its bound and hands them out again by exact size;
/// the C heap's free pages can be given back.
final class BufferPoolTests: XCTestCase {
    func testIdleBuffersAreKeptUpToTheBoundAndReused() {
        let pool = BufferPool()
        pool.limitBytes = 1000 * 4
        let a = pool.take(600), b = pool.take(600)
        pool.give(a, 600)
        pool.give(b, 600)  // past the bound: freed, not kept
        let c = pool.take(600)
        XCTAssertEqual(c, a)
        XCTAssertEqual(pool.reuseCount, 1)
        let d = pool.take(600)
        XCTAssertEqual(pool.reuseCount, 1, "only one buffer was kept")
        let e = pool.take(300)
        XCTAssertEqual(pool.reuseCount, 1, "buffers are reused by exact size only")
        for (p, n) in [(c, 600), (d, 600), (e, 300)] { pool.give(p, n) }
        pool.drain()
    }

    func testLiveBytesCountBuffersHandedOut() {
        let pool = BufferPool()
        let a = pool.take(100), b = pool.take(50)
        XCTAssertEqual(pool.liveBytes, 600)
        pool.give(a, 100)
        XCTAssertEqual(pool.liveBytes, 200)
        let c = pool.take(100)
        pool.give(b, 50)
        pool.give(c, 100)
        XCTAssertEqual(pool.liveBytes, 0)
        XCTAssertEqual(pool.peakLiveBytes, 600)
        pool.drain()
    }

    func testTheSharedPoolBoundStaysModest() {
        XCTAssertLessThanOrEqual(BufferPool.shared.limitBytes, 512 << 20)
    }

    func testFreeHeapPagesCanBeReleased() throws {
        #if os(Linux)
        XCTAssertNotNil(mallocTrimSymbol, "glibc's malloc_trim was not found")
        #endif
        releaseFreeHeapPages()
    }
}
