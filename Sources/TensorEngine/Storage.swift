import Foundation

/// A float32 buffer owned by tensors. Buffers come from and return to ``BufferPool``.
public final class Storage: @unchecked Sendable {
    /// Start of the buffer (64-byte aligned).
    public let pointer: UnsafeMutablePointer<Float>
    /// Number of floats the buffer holds.
    public let capacity: Int

    /// A buffer of `capacity` floats with unspecified contents.
    public init(capacity: Int) {
        self.capacity = capacity
        self.pointer = BufferPool.shared.take(capacity)
    }

    /// A buffer of `capacity` floats set to zero.
    public convenience init(zeros capacity: Int) {
        self.init(capacity: capacity)
        pointer.update(repeating: 0, count: capacity)
    }

    deinit { BufferPool.shared.give(pointer, capacity) }
}

/// Reuses float buffers by exact size, so repeated forward and backward passes through the same
/// network find their buffers again instead of going through malloc and page faults.
///
/// Thread-safe. Holds at most ``limitBytes`` of idle buffers; past that, buffers are freed. Idle
/// buffers do not lift the process's peak: when a new buffer of at least
/// ``evictionMinimumBytes`` must be allocated and the live and idle bytes together would exceed
/// the most bytes ever live at once, idle buffers are freed first (largest first), so the C heap
/// can place the new buffer where they were.
public final class BufferPool: @unchecked Sendable {
    /// The process-wide pool.
    public static let shared = BufferPool()

    private var free: [Int: [UnsafeMutablePointer<Float>]] = [:]
    /// Bytes of the idle buffers kept for reuse.
    public private(set) var idleBytes = 0
    private let lock = NSLock()
    /// Upper bound on idle bytes kept for reuse: idle buffers count in the process's resident
    /// memory, so the bound is what a ShapesWorld-size pass reuses, not what an SD v1.5 one frees
    /// (a 4 GB bound added gigabytes to the peak of an SD v1.5 forward and backward).
    public var limitBytes = 512 << 20
    /// Allocations from this size on free idle buffers that would lift the peak (smaller ones
    /// leave the pool as it is, so small models' passes keep their buffers).
    public var evictionMinimumBytes = 1 << 20
    /// Buffers handed out that were reused rather than allocated (for tests and benchmarks).
    public private(set) var reuseCount = 0
    /// Bytes of buffers handed out and not yet given back, and the most there have been.
    public private(set) var liveBytes = 0, peakLiveBytes = 0

    func take(_ count: Int) -> UnsafeMutablePointer<Float> {
        let n = max(count, 1)
        lock.lock()
        liveBytes += n * 4
        peakLiveBytes = max(peakLiveBytes, liveBytes)
        if var list = free[n], let p = list.popLast() {
            free[n] = list
            idleBytes -= n * 4
            reuseCount += 1
            lock.unlock()
            return p
        }
        let evicted = n * 4 >= evictionMinimumBytes ? evictIdle(above: peakLiveBytes - liveBytes) : []
        lock.unlock()
        for p in evicted { Foundation.free(p) }
        var raw: UnsafeMutableRawPointer?
        guard posix_memalign(&raw, 64, n * MemoryLayout<Float>.stride) == 0, let raw else {
            fatalError("out of memory allocating \(n * 4) bytes")
        }
        return raw.bindMemory(to: Float.self, capacity: n)
    }

    func give(_ p: UnsafeMutablePointer<Float>, _ count: Int) {
        let n = max(count, 1)
        lock.lock()
        liveBytes -= n * 4
        if idleBytes + n * 4 <= limitBytes {
            free[n, default: []].append(p)
            idleBytes += n * 4
            lock.unlock()
        } else {
            lock.unlock()
            Foundation.free(p)
        }
    }

    /// Takes idle buffers out of the pool, largest first, until at most `bytes` stay idle; the
    /// caller frees them outside the lock.
    private func evictIdle(above bytes: Int) -> [UnsafeMutablePointer<Float>] {
        if idleBytes <= bytes { return [] }
        var evicted: [UnsafeMutablePointer<Float>] = []
        for size in free.keys.sorted(by: >) {
            guard var list = free[size] else { continue }
            while idleBytes > bytes, let p = list.popLast() {
                evicted.append(p)
                idleBytes -= size * 4
            }
            free[size] = list.isEmpty ? nil : list
            if idleBytes <= bytes { break }
        }
        return evicted
    }

    /// Frees every idle buffer.
    public func drain() {
        lock.lock()
        let lists = free
        free = [:]
        idleBytes = 0
        lock.unlock()
        for list in lists.values { for p in list { Foundation.free(p) } }
    }
}

/// Gives the C heap's free pages back to the operating system. Building a model reads every
/// weight through a temporary array; without this, the space those arrays leave between the
/// weights stays part of the process's resident memory for as long as it runs.
/// (glibc's `malloc_trim`, looked up at run time: Swift's Glibc module does not declare it;
/// other C libraries have no such call and nothing happens.)
public func releaseFreeHeapPages() {
    typealias Trim = @convention(c) (Int) -> Int32
    guard let symbol = mallocTrimSymbol else { return }
    _ = unsafeBitCast(symbol, to: Trim.self)(0)
}

/// `malloc_trim` of the C library the process runs with, if it has one.
nonisolated(unsafe) let mallocTrimSymbol: UnsafeMutableRawPointer? = dlsym(UnsafeMutableRawPointer(bitPattern: 0), "malloc_trim")
