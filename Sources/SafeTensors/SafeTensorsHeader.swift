import Foundation

/// The validated header of a safetensors file: metadata, tensor entries and where data begins.
///
/// Layout: 8-byte little-endian header length `n`, `n` bytes of UTF-8 JSON, then the data
/// section; tensor `data_offsets` are relative to the start of the data section.
struct SafeTensorsHeader: Sendable {
    /// Largest header accepted, in bytes.
    static let maxHeaderBytes = 100_000_000

    /// The `__metadata__` string map (empty when absent).
    let metadata: [String: String]
    /// Tensor entries by name.
    let entries: [String: SafeTensorInfo]
    /// File offset of the data section (8 + header length).
    let dataStart: Int
    /// Size of the data section in bytes.
    let dataSize: Int

    /// Parses and validates the header of `bytes` (the whole file), naming `path` in errors.
    init(bytes: UnsafeRawBufferPointer, path: String) throws {
        let fileSize = bytes.count
        guard fileSize >= 8, let start = bytes.baseAddress else {
            throw SafeTensorsError(.truncated, path: path,
                                   "file is \(fileSize) bytes, shorter than the 8-byte header length")
        }
        let rawLength = start.loadUnaligned(as: UInt64.self).littleEndian
        let available = fileSize - 8
        if rawLength > UInt64(available) {
            throw SafeTensorsError(.headerLength, path: path,
                                   "header length \(rawLength) runs past the end of the \(fileSize)-byte file")
        }
        if rawLength > UInt64(Self.maxHeaderBytes) {
            throw SafeTensorsError(.headerLength, path: path,
                                   "header length \(rawLength) exceeds the \(Self.maxHeaderBytes)-byte limit")
        }
        let headerLength = Int(rawLength)
        dataStart = 8 + headerLength
        dataSize = fileSize - dataStart

        let json = Data(bytes: start + 8, count: headerLength)
        let root: [String: JSONValue]
        switch JSONValue.parse(json) {
        case .failure(let failure):
            throw SafeTensorsError(.invalidJSON, path: path, Self.describeInvalid(json, reason: failure.reason))
        case .success(.object(let object)):
            root = object
        case .success(let other):
            throw SafeTensorsError(.invalidJSON, path: path,
                                   "header must be a JSON object, found \(other.kindName)")
        }

        var metadata: [String: String] = [:]
        var entries: [String: SafeTensorInfo] = [:]
        for key in root.keys.sorted() {
            guard let value = root[key] else { continue }
            if key == "__metadata__" {
                metadata = try Self.parseMetadata(value, path: path)
            } else {
                entries[key] = try Self.parseEntry(name: key, value: value, dataSize: dataSize, path: path)
            }
        }
        try Self.checkTiling(entries, dataSize: dataSize, path: path)
        self.metadata = metadata
        self.entries = entries
    }

    /// Why `json` failed to parse, with the start of the text for context.
    private static func describeInvalid(_ json: Data, reason: String) -> String {
        guard let text = String(data: json, encoding: .utf8) else {
            return "header is not valid JSON: it is not UTF-8 text"
        }
        let start = text.prefix(60).replacingOccurrences(of: "\n", with: " ")
        let ellipsis = text.count > 60 ? "..." : ""
        return "header is not valid JSON (\(reason)); it begins: \(start)\(ellipsis)"
    }

    private static func parseMetadata(_ value: JSONValue, path: String) throws -> [String: String] {
        guard case .object(let object) = value else {
            throw SafeTensorsError(.invalidEntry, path: path,
                                   "__metadata__ must be an object of strings, found \(value.kindName)")
        }
        var result: [String: String] = [:]
        for (key, item) in object {
            guard case .string(let text) = item else {
                throw SafeTensorsError(.invalidEntry, path: path,
                                       "__metadata__ entry '\(key)' must be a string, found \(item.kindName)")
            }
            result[key] = text
        }
        return result
    }

    private static func parseEntry(name: String, value: JSONValue, dataSize: Int,
                                   path: String) throws -> SafeTensorInfo {
        guard case .object(let fields) = value else {
            throw SafeTensorsError(.invalidEntry, path: path, tensor: name,
                                   "entry must be an object, found \(value.kindName)")
        }
        let dtype = try parseDType(fields["dtype"], name: name, path: path)
        let shape = try parseShape(fields["shape"], name: name, path: path)
        let range = try parseOffsets(fields["data_offsets"], name: name, dataSize: dataSize, path: path)

        var elements = 1
        for dimension in shape {
            let (product, overflow) = elements.multipliedReportingOverflow(by: dimension)
            if overflow {
                throw SafeTensorsError(.invalidShape, path: path, tensor: name,
                                       "shape \(shape) has too many elements")
            }
            elements = product
        }
        let (needed, overflow) = elements.multipliedReportingOverflow(by: dtype.byteSize)
        if overflow || needed != range.count {
            let neededText = overflow ? "more than \(Int.max)" : "\(needed)"
            throw SafeTensorsError(.sizeMismatch, path: path, tensor: name,
                                   "dtype \(dtype.rawValue) and shape \(shape) need \(neededText) bytes "
                                   + "but data_offsets \(range.lowerBound)..<\(range.upperBound) span \(range.count)")
        }
        return SafeTensorInfo(name: name, dtype: dtype, shape: shape, byteRange: range)
    }

    private static func parseDType(_ value: JSONValue?, name: String, path: String) throws -> SafeTensorsDType {
        guard let value else {
            throw SafeTensorsError(.invalidEntry, path: path, tensor: name, "missing 'dtype'")
        }
        guard case .string(let text) = value else {
            throw SafeTensorsError(.invalidEntry, path: path, tensor: name,
                                   "'dtype' must be a string, found \(value.kindName)")
        }
        guard let dtype = SafeTensorsDType(rawValue: text) else {
            let known = SafeTensorsDType.allCases.map(\.rawValue).joined(separator: ", ")
            throw SafeTensorsError(.unknownDType, path: path, tensor: name,
                                   "unknown dtype '\(text)' (known: \(known))")
        }
        return dtype
    }

    private static func parseShape(_ value: JSONValue?, name: String, path: String) throws -> [Int] {
        guard let value else {
            throw SafeTensorsError(.invalidEntry, path: path, tensor: name, "missing 'shape'")
        }
        guard case .array(let items) = value else {
            throw SafeTensorsError(.invalidShape, path: path, tensor: name,
                                   "'shape' must be an array, found \(value.kindName)")
        }
        var shape: [Int] = []
        shape.reserveCapacity(items.count)
        for (axis, item) in items.enumerated() {
            guard case .integer(let dimension) = item, dimension >= 0 else {
                let found: String
                if case .integer(let negative) = item { found = "\(negative)" } else { found = item.kindName }
                throw SafeTensorsError(.invalidShape, path: path, tensor: name,
                                       "shape dimension \(axis) must be a non-negative integer, found \(found)")
            }
            shape.append(dimension)
        }
        return shape
    }

    private static func parseOffsets(_ value: JSONValue?, name: String, dataSize: Int,
                                     path: String) throws -> Range<Int> {
        guard let value else {
            throw SafeTensorsError(.invalidEntry, path: path, tensor: name, "missing 'data_offsets'")
        }
        guard case .array(let items) = value, items.count == 2,
              case .integer(let begin) = items[0], case .integer(let end) = items[1] else {
            throw SafeTensorsError(.outOfBounds, path: path, tensor: name,
                                   "'data_offsets' must be [begin, end] integers")
        }
        if begin < 0 || end < 0 {
            throw SafeTensorsError(.outOfBounds, path: path, tensor: name,
                                   "data_offsets [\(begin), \(end)] are negative")
        }
        if begin > end {
            throw SafeTensorsError(.outOfBounds, path: path, tensor: name,
                                   "data_offsets begin \(begin) is after end \(end)")
        }
        if end > dataSize {
            throw SafeTensorsError(.outOfBounds, path: path, tensor: name,
                                   "byte range \(begin)..<\(end) lies outside the \(dataSize)-byte data section")
        }
        return begin..<end
    }

    /// Throws unless the tensors' byte ranges tile the data section exactly, as the format
    /// requires: sorted by offset, each begins where the one before ends (no overlap, no gap),
    /// and the last ends at the end of the file. A header length that is off by even one byte
    /// shifts the data section and is caught here.
    private static func checkTiling(_ entries: [String: SafeTensorInfo], dataSize: Int, path: String) throws {
        let sorted = entries.values.sorted { (a: SafeTensorInfo, b: SafeTensorInfo) -> Bool in
            (a.byteRange.lowerBound, a.byteRange.upperBound, a.name) < (b.byteRange.lowerBound, b.byteRange.upperBound, b.name)
        }
        var position = 0
        var previous: SafeTensorInfo?
        for current in sorted {
            let mine = current.byteRange
            if mine.lowerBound < position, let previous {
                let theirs = previous.byteRange
                throw SafeTensorsError(.overlap, path: path, tensor: current.name,
                                       "byte range \(mine.lowerBound)..<\(mine.upperBound) overlaps tensor "
                                       + "'\(previous.name)' (\(theirs.lowerBound)..<\(theirs.upperBound))")
            }
            if mine.lowerBound > position {
                throw SafeTensorsError(.layout, path: path, tensor: current.name,
                                       "byte range \(mine.lowerBound)..<\(mine.upperBound) leaves bytes \(position)..<\(mine.lowerBound) "
                                       + "of the data section unused (tensors must follow each other without gaps)")
            }
            position = mine.upperBound
            previous = current
        }
        if position != dataSize {
            throw SafeTensorsError(.layout, path: path,
                                   "the tensors end at byte \(position) of the data section, but the file leaves \(dataSize) bytes "
                                   + "after the 8-byte length and the header (a wrong header length, or a truncated or extended file)")
        }
    }
}
