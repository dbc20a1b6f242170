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

    func testIdleBuffersNeverLiftThePeak() {
        let pool = BufferPool()
        pool.evictionMinimumBytes = 1000
        let a = pool.take(1000), b = pool.take(1000)
        pool.give(a, 1000)
        pool.give(b, 1000)
        XCTAssertEqual(pool.idleBytes, 8000)
        // 1200 live bytes and 8000 idle would pass the peak of 8000: one idle buffer goes.
        let c = pool.take(300)
        XCTAssertEqual(pool.idleBytes, 4000)
        XCTAssertEqual(pool.liveBytes + pool.idleBytes, 5200)
        let d = pool.take(1000)
        XCTAssertEqual(pool.reuseCount, 1, "the buffer kept is handed out again")
        // A new peak: nothing idle is left to free, and nothing else changes.
        let e = pool.take(2000)
        XCTAssertEqual(pool.idleBytes, 0)
        XCTAssertEqual(pool.peakLiveBytes, 13200)
        for (p, n) in [(c, 300), (d, 1000), (e, 2000)] { pool.give(p, n) }
        // Below the eviction size, an allocation leaves the idle buffers alone.
        let f = pool.take(100)
        XCTAssertEqual(pool.idleBytes, 13200)
        pool.give(f, 100)
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
