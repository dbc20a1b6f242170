/// A bounds-checked cursor over the bytes of a pickle. Every read either returns in-range data
/// or throws; nothing here traps on input.
struct PickleByteReader {
    let bytes: [UInt8]
    private(set) var position = 0

    init(_ bytes: [UInt8]) {
        self.bytes = bytes
    }

    /// Bytes left after the cursor.
    var remaining: Int { bytes.count - position }

    /// Thrown when a read runs past the end: `needed` more bytes were required.
    struct Truncated: Error {
        let needed: Int
    }

    mutating func byte() throws -> UInt8 {
        guard position < bytes.count else { throw Truncated(needed: 1) }
        defer { position += 1 }
        return bytes[position]
    }

    /// The next `count` bytes; `count` is checked against what is left before anything is copied.
    mutating func take(_ count: Int) throws -> ArraySlice<UInt8> {
        guard count >= 0, count <= remaining else { throw Truncated(needed: count) }
        defer { position += count }
        return bytes[position..<(position + count)]
    }

    /// A little-endian unsigned integer of `width` bytes (at most 8).
    mutating func unsigned(width: Int) throws -> UInt64 {
        let slice = try take(width)
        var value: UInt64 = 0
        for (shift, byte) in slice.enumerated() {
            value |= UInt64(byte) << (8 * UInt64(shift))
        }
        return value
    }

    /// A line ended by `\n` (not included), at most `limit` bytes long.
    mutating func line(limit: Int) throws -> ArraySlice<UInt8> {
        let end = min(bytes.count, position + limit + 1)
        guard let newline = bytes[position..<end].firstIndex(of: 0x0A) else {
            throw Truncated(needed: 1)
        }
        defer { position = newline + 1 }
        return bytes[position..<newline]
    }
}
