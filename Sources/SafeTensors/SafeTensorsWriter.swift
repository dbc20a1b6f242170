import Foundation

/// Collects tensors and metadata and writes them as one safetensors file.
///
/// Tensors are stored sorted by name, back to back; the JSON header is padded with spaces so the
/// data section starts at a multiple of 8 bytes. ``write(to:)`` replaces the target atomically.
///
/// ```swift
/// var writer = SafeTensorsWriter(metadata: ["format": "pt"])
/// try writer.add("lora_up.weight", floats: values, shape: [320, 1], as: .f16)
/// try writer.write(to: url)
/// ```
public struct SafeTensorsWriter: Sendable {
    /// Path used in errors raised before a destination is known.
    static let writerPath = "SafeTensorsWriter"

    /// A tensor waiting to be written: encoded little-endian bytes plus header fields.
    struct Pending: Sendable {
        let dtype: SafeTensorsDType
        let shape: [Int]
        let bytes: [UInt8]
    }

    /// The `__metadata__` string map written into the header (omitted when empty).
    public var metadata: [String: String]

    var tensors: [String: Pending] = [:]

    /// An empty writer with the given metadata.
    public init(metadata: [String: String] = [:]) {
        self.metadata = metadata
    }

    /// Names of the tensors added so far, sorted.
    public var names: [String] { tensors.keys.sorted() }

    /// Adds a tensor of Float values stored as `dtype` (F32, F16, BF16 or F64).
    ///
    /// F16 and BF16 round to nearest with ties to even; F16 overflows to infinity past 65504.
    ///
    /// - Throws: ``SafeTensorsError`` `.invalidInput` for a bad name, a duplicate, a non-float
    ///   dtype, or a value count that does not match `shape`.
    public mutating func add(_ name: String, floats values: UnsafeBufferPointer<Float>, shape: [Int],
                             as dtype: SafeTensorsDType = .f32) throws {
        try checkNew(name, shape: shape, count: values.count)
        let bytes: [UInt8]
        switch dtype {
        case .f32:
            bytes = Self.encode(values) { (value: Float) in value.bitPattern }
        case .f16:
            bytes = Self.encode(values) { (value: Float) in HalfPrecision.halfBits(from: value) }
        case .bf16:
            bytes = Self.encode(values) { (value: Float) in HalfPrecision.bfloat16Bits(from: value) }
        case .f64:
            bytes = Self.encode(values) { (value: Float) in Double(value).bitPattern }
        default:
            throw SafeTensorsError(.invalidInput, path: Self.writerPath, tensor: name,
                                   "cannot store Float values as \(dtype.rawValue)")
        }
        tensors[name] = Pending(dtype: dtype, shape: shape, bytes: bytes)
    }

    /// Adds a tensor of Float values stored as `dtype` (F32, F16, BF16 or F64).
    public mutating func add(_ name: String, floats values: [Float], shape: [Int],
                             as dtype: SafeTensorsDType = .f32) throws {
        try values.withUnsafeBufferPointer { buffer in
            try add(name, floats: buffer, shape: shape, as: dtype)
        }
    }

    /// Adds an I64 tensor.
    public mutating func add(_ name: String, int64s values: [Int64], shape: [Int]) throws {
        try checkNew(name, shape: shape, count: values.count)
        let bytes = values.withUnsafeBufferPointer { buffer in
            Self.encode(buffer) { (value: Int64) in UInt64(bitPattern: value) }
        }
        tensors[name] = Pending(dtype: .i64, shape: shape, bytes: bytes)
    }

    /// Adds a tensor of any dtype from its raw little-endian bytes.
    ///
    /// - Throws: ``SafeTensorsError`` `.invalidInput` if `bytes.count` is not the element count
    ///   of `shape` times the dtype's size.
    public mutating func add(_ name: String, rawBytes bytes: [UInt8], dtype: SafeTensorsDType,
                             shape: [Int]) throws {
        guard bytes.count % dtype.byteSize == 0 else {
            throw SafeTensorsError(.invalidInput, path: Self.writerPath, tensor: name,
                                   "\(bytes.count) bytes is not a whole number of \(dtype.rawValue) elements")
        }
        try checkNew(name, shape: shape, count: bytes.count / dtype.byteSize)
        tensors[name] = Pending(dtype: dtype, shape: shape, bytes: bytes)
    }

    /// Removes a tensor added earlier; returns whether it was present.
    @discardableResult
    public mutating func remove(_ name: String) -> Bool {
        tensors.removeValue(forKey: name) != nil
    }

    private func checkNew(_ name: String, shape: [Int], count: Int) throws {
        if name == "__metadata__" {
            throw SafeTensorsError(.invalidInput, path: Self.writerPath, tensor: name,
                                   "'__metadata__' is reserved for the metadata map")
        }
        if tensors[name] != nil {
            throw SafeTensorsError(.invalidInput, path: Self.writerPath, tensor: name,
                                   "a tensor with this name was already added")
        }
        var elements = 1
        for dimension in shape {
            let (product, overflow) = elements.multipliedReportingOverflow(by: dimension)
            if dimension < 0 || overflow {
                throw SafeTensorsError(.invalidInput, path: Self.writerPath, tensor: name,
                                       "invalid shape \(shape)")
            }
            elements = product
        }
        if elements != count {
            throw SafeTensorsError(.invalidInput, path: Self.writerPath, tensor: name,
                                   "shape \(shape) holds \(elements) elements but \(count) values were given")
        }
    }

    /// Encodes each value through `bits` as little-endian bytes.
    static func encode<Value, Word: FixedWidthInteger>(
        _ values: UnsafeBufferPointer<Value>, _ bits: (Value) -> Word
    ) -> [UInt8] {
        let stride = MemoryLayout<Word>.size
        let byteCount = values.count * stride
        return [UInt8](unsafeUninitializedCapacity: byteCount) { buffer, initialized in
            let raw = UnsafeMutableRawBufferPointer(buffer)
            for index in 0..<values.count {
                let word = bits(values[index]).littleEndian
                raw.storeBytes(of: word, toByteOffset: index * stride, as: Word.self)
            }
            initialized = byteCount
        }
    }
}
