#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif
import Foundation

extension SafeTensorsWriter {
    /// The 8-byte length prefix followed by the space-padded JSON header.
    ///
    /// `__metadata__` comes first, then the tensors sorted by name, with consecutive data offsets
    /// in the same order.
    public func headerBytes() -> [UInt8] {
        var json = "{"
        var first = true
        if !metadata.isEmpty {
            json += "\"__metadata__\":{"
            var firstEntry = true
            for key in metadata.keys.sorted() {
                if !firstEntry { json += "," }
                firstEntry = false
                json += Self.quoted(key) + ":" + Self.quoted(metadata[key] ?? "")
            }
            json += "}"
            first = false
        }
        var offset = 0
        for name in names {
            guard let tensor = tensors[name] else { continue }
            if !first { json += "," }
            first = false
            let shape = tensor.shape.map(String.init).joined(separator: ",")
            let end = offset + tensor.bytes.count
            json += Self.quoted(name) + ":{\"dtype\":\"\(tensor.dtype.rawValue)\",\"shape\":[\(shape)],"
            json += "\"data_offsets\":[\(offset),\(end)]}"
            offset = end
        }
        json += "}"

        var header = Array(json.utf8)
        let padding = (8 - header.count % 8) % 8
        header.append(contentsOf: repeatElement(UInt8(ascii: " "), count: padding))
        var result: [UInt8] = []
        result.reserveCapacity(8 + header.count)
        let length = UInt64(header.count)
        for shift in stride(from: 0, to: 64, by: 8) {
            result.append(UInt8(truncatingIfNeeded: length >> UInt64(shift)))
        }
        result.append(contentsOf: header)
        return result
    }

    /// The complete file contents in memory.
    public func serialized() -> Data {
        var data = Data(headerBytes())
        for name in names {
            if let tensor = tensors[name] { data.append(contentsOf: tensor.bytes) }
        }
        return data
    }

    /// Writes the file to `url`, atomically.
    ///
    /// The contents go to a temporary file in the same directory, which is flushed (`fsync`),
    /// renamed over `url`, and followed by an `fsync` of the directory, so readers see either the
    /// old file or the complete new one, even across a crash.
    ///
    /// - Throws: ``SafeTensorsError`` `.io` naming `url` if any step fails (the temporary file is
    ///   removed).
    public func write(to url: URL) throws {
        let path = url.path
        let directory = url.deletingLastPathComponent().path
        let suffix = String(UInt32.random(in: 0...UInt32.max), radix: 16)
        let temporary = directory + "/." + url.lastPathComponent + ".tmp-\(getpid())-" + suffix

        let fd = open(temporary, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, mode_t(0o644))
        if fd < 0 {
            throw SafeTensorsError(.io, path: path,
                                   "cannot create temporary file \(temporary): \(MappedFile.lastError())")
        }
        var closed = false
        var renamed = false
        defer {
            if !closed { _ = close(fd) }
            if !renamed { _ = unlink(temporary) }
        }

        try Self.writeAll(fd, headerBytes(), path: path)
        for name in names {
            if let tensor = tensors[name] { try Self.writeAll(fd, tensor.bytes, path: path) }
        }
        if fsync(fd) != 0 {
            throw SafeTensorsError(.io, path: path, "fsync failed: \(MappedFile.lastError())")
        }
        closed = true
        if close(fd) != 0 {
            throw SafeTensorsError(.io, path: path, "close failed: \(MappedFile.lastError())")
        }
        if rename(temporary, path) != 0 {
            throw SafeTensorsError(.io, path: path, "cannot rename temporary file: \(MappedFile.lastError())")
        }
        renamed = true

        let directoryFD = open(directory, O_RDONLY | O_CLOEXEC)
        if directoryFD >= 0 {
            let synced = fsync(directoryFD)
            let syncError = MappedFile.lastError()
            _ = close(directoryFD)
            if synced != 0 {
                throw SafeTensorsError(.io, path: path, "fsync of directory \(directory) failed: \(syncError)")
            }
        }
    }

    /// Writes every byte of `bytes` to `fd`, retrying partial writes and interruptions.
    private static func writeAll(_ fd: Int32, _ bytes: [UInt8], path: String) throws {
        try bytes.withUnsafeBytes { (buffer: UnsafeRawBufferPointer) in
            guard let base = buffer.baseAddress else { return }
            var done = 0
            while done < buffer.count {
                let chunk = min(buffer.count - done, 1 << 30)
                let written = posixWrite(fd, base + done, chunk)
                if written < 0 {
                    if errno == EINTR { continue }
                    throw SafeTensorsError(.io, path: path, "write failed: \(MappedFile.lastError())")
                }
                done += written
            }
        }
    }

    /// `value` as a JSON string literal.
    static func quoted(_ value: String) -> String {
        var result = "\""
        for scalar in value.unicodeScalars {
            switch scalar {
            case "\"": result += "\\\""
            case "\\": result += "\\\\"
            case "\n": result += "\\n"
            case "\r": result += "\\r"
            case "\t": result += "\\t"
            default:
                if scalar.value < 0x20 {
                    let hex = String(scalar.value, radix: 16)
                    result += "\\u" + String(repeating: "0", count: 4 - hex.count) + hex
                } else {
                    result.unicodeScalars.append(scalar)
                }
            }
        }
        return result + "\""
    }
}

/// The C `write`, named apart from the Swift methods called `write`.
@inline(__always)
private func posixWrite(_ fd: Int32, _ buffer: UnsafeRawPointer, _ count: Int) -> Int {
    write(fd, buffer, count)
}
