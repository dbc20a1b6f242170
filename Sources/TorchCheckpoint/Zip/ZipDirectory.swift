/// One file in a zip archive's central directory.
struct ZipEntry: Equatable {
    let name: String
    /// General-purpose flags (bit 0: encrypted).
    let flags: UInt16
    /// 0 for stored, 8 for deflate.
    let method: UInt16
    let crc32: UInt32
    let compressedSize: UInt64
    let uncompressedSize: UInt64
    let localHeaderOffset: UInt64

    var isEncrypted: Bool { flags & 1 != 0 }
}

/// The central directory of a zip archive (with ZIP64 extensions), parsed from a memory map.
///
/// Every offset and size is checked against the buffer before it is used; a malformed
/// archive is an error, never a trap.
struct ZipDirectory {
    /// Entries by name (directories omitted).
    let entries: [String: ZipEntry]

    private static let endSignature: UInt32 = 0x0605_4B50
    private static let zip64LocatorSignature: UInt32 = 0x0706_4B50
    private static let zip64EndSignature: UInt32 = 0x0606_4B50
    private static let centralSignature: UInt32 = 0x0201_4B50

    /// Thrown with a description of what is wrong; the caller adds the file name.
    struct Malformed: Error {
        let problem: String
    }

    init(_ bytes: UnsafeRawBufferPointer) throws {
        let reader = ZipReader(bytes: bytes)
        let end = try Self.findEnd(reader)
        guard var total = reader.u16(end + 10).map(UInt64.init),
              var size = reader.u32(end + 12).map(UInt64.init),
              var offset = reader.u32(end + 16).map(UInt64.init) else {
            throw Malformed(problem: "its end-of-central-directory record is cut off")
        }
        if total == 0xFFFF || size == 0xFFFF_FFFF || offset == 0xFFFF_FFFF {
            (total, size, offset) = try Self.zip64End(reader, end: end)
        }
        guard reader.slice(offset, size) != nil else {
            throw Malformed(problem: "its central directory (\(size) bytes at \(offset)) lies outside the file; the file is truncated")
        }
        guard total <= size / 46 else {
            throw Malformed(problem: "it declares \(total) entries, more than its central directory can hold")
        }
        var entries: [String: ZipEntry] = [:]
        var cursor = offset
        for _ in 0..<total {
            let (entry, next) = try Self.centralEntry(reader, at: cursor, directoryEnd: offset + size)
            cursor = next
            guard !entry.name.hasSuffix("/") else { continue }
            guard entries[entry.name] == nil else {
                throw Malformed(problem: "it has two entries named \(entry.name)")
            }
            entries[entry.name] = entry
        }
        self.entries = entries
    }

    /// The bytes of `entry`'s data, located through its local header.
    func data(of entry: ZipEntry, in bytes: UnsafeRawBufferPointer) throws -> UnsafeRawBufferPointer {
        let reader = ZipReader(bytes: bytes)
        let header = entry.localHeaderOffset
        guard header <= UInt64(bytes.count), reader.u32(header) == 0x0403_4B50,
              let nameLength = reader.u16(header + 26), let extraLength = reader.u16(header + 28),
              let name = reader.slice(header + 30, UInt64(nameLength)) else {
            throw Malformed(problem: "entry \(entry.name) has no local header at byte \(header)")
        }
        guard String(decoding: name, as: UTF8.self) == entry.name else {
            throw Malformed(problem: "entry \(entry.name)'s local header names another file")
        }
        let start = header + 30 + UInt64(nameLength) + UInt64(extraLength)
        guard let data = reader.slice(start, entry.compressedSize) else {
            throw Malformed(problem: "entry \(entry.name) runs past the end of the file; the file is truncated")
        }
        return data
    }

    /// Offset of the end-of-central-directory record, searched backwards over the comment.
    private static func findEnd(_ reader: ZipReader) throws -> UInt64 {
        let size = UInt64(reader.bytes.count)
        guard size >= 22 else {
            throw Malformed(problem: "it is too short to be a zip archive; the file is truncated")
        }
        let lowest = size >= 22 + 0xFFFF ? size - 22 - 0xFFFF : 0
        var candidate = size - 22
        while true {
            if reader.u32(candidate) == endSignature, let comment = reader.u16(candidate + 20),
               candidate + 22 + UInt64(comment) <= size {
                return candidate
            }
            guard candidate > lowest else { break }
            candidate -= 1
        }
        throw Malformed(problem: "it has no end-of-central-directory record; the file is truncated or not a zip archive")
    }

    /// Entry count, directory size and directory offset from the ZIP64 end record.
    private static func zip64End(_ reader: ZipReader, end: UInt64) throws -> (UInt64, UInt64, UInt64) {
        guard end >= 20, reader.u32(end - 20) == zip64LocatorSignature,
              let record = reader.u64(end - 20 + 8), record < end, reader.u32(record) == zip64EndSignature,
              let total = reader.u64(record + 32), let size = reader.u64(record + 40),
              let offset = reader.u64(record + 48) else {
            throw Malformed(problem: "its ZIP64 end-of-central-directory record is missing or cut off")
        }
        return (total, size, offset)
    }

    /// The central-directory entry at `offset` and the offset of the next one.
    private static func centralEntry(_ reader: ZipReader, at offset: UInt64, directoryEnd: UInt64) throws -> (ZipEntry, UInt64) {
        guard offset <= directoryEnd, directoryEnd - offset >= 46, reader.u32(offset) == centralSignature,
              let flags = reader.u16(offset + 8), let method = reader.u16(offset + 10),
              let crc = reader.u32(offset + 16), let compressed32 = reader.u32(offset + 20),
              let uncompressed32 = reader.u32(offset + 24), let nameLength = reader.u16(offset + 28),
              let extraLength = reader.u16(offset + 30), let commentLength = reader.u16(offset + 32),
              let header32 = reader.u32(offset + 42) else {
            throw Malformed(problem: "its central directory has a damaged entry at byte \(offset)")
        }
        let next = offset + 46 + UInt64(nameLength) + UInt64(extraLength) + UInt64(commentLength)
        guard next <= directoryEnd, let nameBytes = reader.slice(offset + 46, UInt64(nameLength)),
              let extra = reader.slice(offset + 46 + UInt64(nameLength), UInt64(extraLength)) else {
            throw Malformed(problem: "its central directory entry at byte \(offset) runs past the directory")
        }
        guard let name = String(validatingUTF8Bytes: ArraySlice(nameBytes)) else {
            throw Malformed(problem: "its central directory entry at byte \(offset) has a name that is not UTF-8")
        }
        var uncompressed = UInt64(uncompressed32), compressed = UInt64(compressed32), header = UInt64(header32)
        try readZip64Extra(ZipReader(bytes: extra), name: name, uncompressed: &uncompressed,
                           compressed: &compressed, header: &header)
        let entry = ZipEntry(name: name, flags: flags, method: method, crc32: crc, compressedSize: compressed,
                             uncompressedSize: uncompressed, localHeaderOffset: header)
        return (entry, next)
    }

    /// Replaces the 32-bit fields set to 0xFFFFFFFF by the 64-bit values of the ZIP64 extra field.
    private static func readZip64Extra(_ extra: ZipReader, name: String, uncompressed: inout UInt64,
                                       compressed: inout UInt64, header: inout UInt64) throws {
        let needed = [uncompressed, compressed, header].contains(0xFFFF_FFFF)
        var cursor: UInt64 = 0
        while let id = extra.u16(cursor), let length = extra.u16(cursor + 2) {
            let body = cursor + 4
            let bodyEnd = body + UInt64(length)
            cursor = bodyEnd
            guard id == 0x0001 else { continue }
            var field = body
            func widen(_ value: inout UInt64) throws {
                guard value == 0xFFFF_FFFF else { return }
                guard field + 8 <= bodyEnd, let wide = extra.u64(field) else {
                    throw Malformed(problem: "entry \(name) has a ZIP64 extra field that is cut off")
                }
                value = wide
                field += 8
            }
            try widen(&uncompressed)
            try widen(&compressed)
            try widen(&header)
            return
        }
        if needed {
            throw Malformed(problem: "entry \(name) needs a ZIP64 extra field but has none")
        }
    }
}
