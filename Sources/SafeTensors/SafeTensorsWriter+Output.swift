#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif
import AtomicFiles
import Foundation

extension SafeTensorsWriter {
    /// The 8-byte length prefix followed by the space-padded JSON header.
    ///
    /// `__metadata__` comes first, then the tensors sorted by name, with consecutive data offsets
    /// in the same order.
    public func headerBytes() -> [UInt8] {
        Self.headerBytes(metadata: metadata, tensors: names.compactMap { name in
            tensors[name].map { (name: name, dtype: $0.dtype, shape: $0.shape, byteCount: $0.bytes.count) }
        })
    }

    /// The header of a file holding `tensors` in this order, back to back, with `metadata`.
    public static func headerBytes(metadata: [String: String],
                                   tensors: [(name: String, dtype: SafeTensorsDType, shape: [Int], byteCount: Int)]) -> [UInt8] {
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
        for tensor in tensors {
            if !first { json += "," }
            first = false
            let shape = tensor.shape.map(String.init).joined(separator: ",")
            let end = offset + tensor.byteCount
            json += Self.quoted(tensor.name) + ":{\"dtype\":\"\(tensor.dtype.rawValue)\",\"shape\":[\(shape)],"
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

    /// Writes the file to `url`, atomically (``AtomicFile``): readers see either the old file or
    /// the complete new one, even across a crash.
    ///
    /// - Throws: ``SafeTensorsError`` `.io` naming `url` if any step fails (the temporary file is
    ///   removed).
    public func write(to url: URL) throws {
        do {
            try AtomicFile.write(to: url) { fd in
                try headerBytes().withUnsafeBytes { try AtomicFile.writeAll($0, to: fd, path: url.path) }
                for name in names {
                    if let tensor = tensors[name] {
                        try tensor.bytes.withUnsafeBytes { try AtomicFile.writeAll($0, to: fd, path: url.path) }
                    }
                }
            }
        } catch let error as AtomicFileError {
            throw SafeTensorsError(.io, path: url.path, error.problem)
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
