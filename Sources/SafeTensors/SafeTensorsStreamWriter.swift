import AtomicFiles
import Foundation

/// Writes a safetensors file whose tensors come one at a time from elsewhere (another file's
/// mapping, a merge), so a multi-gigabyte checkpoint is never held in memory. The file is
/// replaced atomically (``AtomicFile``).
public enum SafeTensorsStreamWriter {
    /// One tensor to write: its header fields.
    public struct Entry: Sendable {
        public var name: String
        public var dtype: SafeTensorsDType
        public var shape: [Int]

        public init(name: String, dtype: SafeTensorsDType, shape: [Int]) {
            self.name = name
            self.dtype = dtype
            self.shape = shape
        }

        /// Bytes of the tensor's data.
        public var byteCount: Int { shape.reduce(1, *) * dtype.byteSize }
    }

    /// Writes `entries` (sorted by name in the file) to `url`; `bytes(entry, emit)` must call
    /// `emit` with exactly the entry's bytes (in one or more pieces).
    ///
    /// - Throws: ``SafeTensorsError`` `.io` naming `url`, or `.invalidInput` when a tensor's bytes
    ///   do not match its header.
    public static func write(to url: URL, metadata: [String: String], entries: [Entry],
                             bytes: (Entry, (UnsafeRawBufferPointer) throws -> Void) throws -> Void) throws {
        let sorted = entries.sorted { $0.name < $1.name }
        let header = SafeTensorsWriter.headerBytes(metadata: metadata, tensors: sorted.map {
            (name: $0.name, dtype: $0.dtype, shape: $0.shape, byteCount: $0.byteCount)
        })
        do {
            try AtomicFile.write(to: url) { fd in
                try header.withUnsafeBytes { try AtomicFile.writeAll($0, to: fd, path: url.path) }
                for entry in sorted {
                    var written = 0
                    try bytes(entry) { piece in
                        written += piece.count
                        try AtomicFile.writeAll(piece, to: fd, path: url.path)
                    }
                    guard written == entry.byteCount else {
                        throw SafeTensorsError(.invalidInput, path: url.path, tensor: entry.name,
                                               "\(written) bytes given for a \(entry.dtype.rawValue) tensor of shape \(entry.shape)")
                    }
                }
            }
        } catch let error as AtomicFileError {
            throw SafeTensorsError(.io, path: url.path, error.problem)
        }
    }

    /// Encodes float values as `dtype` (F32, F16, BF16 or F64), little-endian, rounding to nearest even.
    public static func encode(_ values: [Float], as dtype: SafeTensorsDType) throws -> [UInt8] {
        var writer = SafeTensorsWriter()
        try writer.add("x", floats: values, shape: [values.count], as: dtype)
        return writer.tensors["x"]?.bytes ?? []
    }
}
