import Foundation

/// A safetensors file, memory-mapped read-only and fully validated when opened.
///
/// Opening checks the whole header (sizes, JSON structure, dtypes, shapes, byte ranges, overlaps)
/// before any tensor is touched, so accessors never read outside the file. Every error is a
/// ``SafeTensorsError`` naming the file and the tensor at fault.
///
/// ```swift
/// let file = try SafeTensorsFile(url: unetURL)
/// let weight = try file.floats("conv_in.weight")      // [Float], widened from F16/BF16/F64
/// let shape = try file.info("conv_in.weight").shape   // [32, 4, 3, 3]
/// ```
///
/// Instances are immutable and safe to share between threads.
public final class SafeTensorsFile: @unchecked Sendable {
    /// Where the file was opened from.
    public let url: URL
    /// The path as used in error messages.
    public let path: String
    /// The `__metadata__` string map (empty when the file has none).
    public let metadata: [String: String]
    /// Tensor names, sorted.
    public let names: [String]

    let header: SafeTensorsHeader
    let mapping: MappedFile

    /// Opens, maps and validates the safetensors file at `url`.
    ///
    /// - Throws: ``SafeTensorsError`` if the file cannot be read or any part of it is malformed.
    public init(url: URL) throws {
        self.url = url
        let path = url.path
        self.path = path
        do { mapping = try MappedFile(path: path) } catch { throw SafeTensorsError(.io, path: path, "\(error)") }
        header = try SafeTensorsHeader(bytes: mapping.bytes, path: path)
        metadata = header.metadata
        names = header.entries.keys.sorted()
    }

    /// Validates a safetensors file held in memory (`contents` is copied), checked exactly as
    /// ``init(url:)`` checks a file; `path` names it in errors and gives ``url``.
    ///
    /// - Throws: ``SafeTensorsError`` if any part of `contents` is malformed.
    public init(contents: Data, path: String) throws {
        url = URL(fileURLWithPath: path)
        self.path = path
        mapping = contents.withUnsafeBytes { MappedFile(copying: $0) }
        header = try SafeTensorsHeader(bytes: mapping.bytes, path: path)
        metadata = header.metadata
        names = header.entries.keys.sorted()
    }

    /// Number of tensors in the file.
    public var count: Int { header.entries.count }

    /// Whether the file holds a tensor called `name`.
    public func contains(_ name: String) -> Bool {
        header.entries[name] != nil
    }

    /// Dtype, shape and byte range of tensor `name`.
    ///
    /// - Throws: ``SafeTensorsError`` of kind `.missingTensor` if there is no such tensor.
    public func info(_ name: String) throws -> SafeTensorInfo {
        guard let entry = header.entries[name] else {
            throw missingTensor(name)
        }
        return entry
    }

    /// Calls `body` with the raw little-endian bytes of tensor `name`, straight from the mapping.
    ///
    /// The buffer is valid only during the call.
    public func withRawBytes<R>(_ name: String, _ body: (UnsafeRawBufferPointer) throws -> R) throws -> R {
        let entry = try info(name)
        return try body(rawBytes(entry))
    }

    /// The mapped bytes of `entry` (valid while `self` is alive).
    func rawBytes(_ entry: SafeTensorInfo) -> UnsafeRawBufferPointer {
        let all = mapping.bytes
        let lower = header.dataStart + entry.byteRange.lowerBound
        let upper = header.dataStart + entry.byteRange.upperBound
        return UnsafeRawBufferPointer(rebasing: all[lower..<upper])
    }

    func missingTensor(_ name: String) -> SafeTensorsError {
        SafeTensorsError(.missingTensor, path: path, tensor: name,
                         "no such tensor (the file has \(count) tensors)")
    }
}
