/// Bounds-checked little-endian reads from a byte buffer; a read outside it returns `nil`.
struct ZipReader {
    let bytes: UnsafeRawBufferPointer

    func u16(_ offset: UInt64) -> UInt16? {
        guard let start = range(offset, 2) else { return nil }
        return UInt16(littleEndian: bytes.loadUnaligned(fromByteOffset: start, as: UInt16.self))
    }

    func u32(_ offset: UInt64) -> UInt32? {
        guard let start = range(offset, 4) else { return nil }
        return UInt32(littleEndian: bytes.loadUnaligned(fromByteOffset: start, as: UInt32.self))
    }

    func u64(_ offset: UInt64) -> UInt64? {
        guard let start = range(offset, 8) else { return nil }
        return UInt64(littleEndian: bytes.loadUnaligned(fromByteOffset: start, as: UInt64.self))
    }

    /// `count` bytes at `offset`, or `nil` if they do not all lie in the buffer.
    func slice(_ offset: UInt64, _ count: UInt64) -> UnsafeRawBufferPointer? {
        guard count <= UInt64(Int.max), let start = range(offset, Int(count)) else { return nil }
        return UnsafeRawBufferPointer(rebasing: bytes[start..<(start + Int(count))])
    }

    /// `offset` as an index when `offset + count` lies within the buffer.
    private func range(_ offset: UInt64, _ count: Int) -> Int? {
        let size = UInt64(bytes.count)
        guard offset <= size, UInt64(count) <= size - offset else { return nil }
        return Int(offset)
    }
}
