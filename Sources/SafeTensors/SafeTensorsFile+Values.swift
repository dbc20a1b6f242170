import Foundation

extension SafeTensorsFile {
    /// The values of tensor `name` as Float32, row-major.
    ///
    /// F32 is copied; F16 (including subnormals, infinities and NaN), BF16 and F64 are converted
    /// (F64 rounds to nearest).
    ///
    /// - Throws: ``SafeTensorsError`` `.missingTensor`, or `.wrongDType` for integer/bool tensors.
    public func floats(_ name: String) throws -> [Float] {
        let entry = try info(name)
        guard entry.dtype.isFloatingPoint else {
            throw wrongDType(entry, wanted: "a floating-point dtype (F32, F16, BF16, F64)")
        }
        return Self.decodeFloats(rawBytes(entry), dtype: entry.dtype)
    }

    /// Calls `body` with the values of tensor `name` as Float32.
    ///
    /// For an F32 tensor whose data is 4-byte aligned in the file (always the case for files from
    /// ``SafeTensorsWriter`` and the Python library) the buffer points straight into the mapping,
    /// without copying; otherwise the values are converted into a temporary array first. The
    /// buffer is valid only during the call.
    public func withFloatBuffer<R>(_ name: String, _ body: (UnsafeBufferPointer<Float>) throws -> R) throws -> R {
        let entry = try info(name)
        guard entry.dtype.isFloatingPoint else {
            throw wrongDType(entry, wanted: "a floating-point dtype (F32, F16, BF16, F64)")
        }
        let raw = rawBytes(entry)
        let aligned = Int(bitPattern: raw.baseAddress) % MemoryLayout<Float>.alignment == 0
        if entry.dtype == .f32, aligned, let start = raw.baseAddress {
            let typed = start.assumingMemoryBound(to: Float.self)
            return try body(UnsafeBufferPointer(start: typed, count: raw.count / 4))
        }
        let values = Self.decodeFloats(raw, dtype: entry.dtype)
        return try values.withUnsafeBufferPointer { try body($0) }
    }

    /// The values of integer tensor `name` as Int64 (I64 copied; I32, I16, I8, U8, BOOL widened).
    ///
    /// - Throws: ``SafeTensorsError`` `.missingTensor`, or `.wrongDType` for floating-point tensors.
    public func int64s(_ name: String) throws -> [Int64] {
        let entry = try info(name)
        let raw = rawBytes(entry)
        let count = entry.count
        switch entry.dtype {
        case .i64:
            return Self.decode(raw, count: count) { (bits: UInt64) in Int64(bitPattern: bits) }
        case .i32:
            return Self.decode(raw, count: count) { (bits: UInt32) in Int64(Int32(bitPattern: bits)) }
        case .i16:
            return Self.decode(raw, count: count) { (bits: UInt16) in Int64(Int16(bitPattern: bits)) }
        case .i8:
            return Self.decode(raw, count: count) { (bits: UInt8) in Int64(Int8(bitPattern: bits)) }
        case .u8, .bool:
            return Self.decode(raw, count: count) { (bits: UInt8) in Int64(bits) }
        case .f64, .f32, .f16, .bf16:
            throw wrongDType(entry, wanted: "an integer dtype (I64, I32, I16, I8, U8, BOOL)")
        }
    }

    /// A copy of the raw little-endian bytes of tensor `name`.
    public func bytes(_ name: String) throws -> [UInt8] {
        let entry = try info(name)
        return Array(rawBytes(entry))
    }

    func wrongDType(_ entry: SafeTensorInfo, wanted: String) -> SafeTensorsError {
        SafeTensorsError(.wrongDType, path: path, tensor: entry.name,
                         "dtype is \(entry.dtype.rawValue), expected \(wanted)")
    }

    /// Converts the little-endian bytes of a floating-point tensor to Float32.
    static func decodeFloats(_ raw: UnsafeRawBufferPointer, dtype: SafeTensorsDType) -> [Float] {
        let count = raw.count / dtype.byteSize
        switch dtype {
        case .f32:
            #if _endian(little)
            return [Float](unsafeUninitializedCapacity: count) { buffer, initialized in
                if count > 0, let source = raw.baseAddress, let target = buffer.baseAddress {
                    UnsafeMutableRawPointer(target).copyMemory(from: source, byteCount: count * 4)
                }
                initialized = count
            }
            #else
            return decode(raw, count: count) { (bits: UInt32) in Float(bitPattern: bits) }
            #endif
        case .f16:
            return decode(raw, count: count) { (bits: UInt16) in HalfPrecision.float(fromHalf: bits) }
        case .bf16:
            return decode(raw, count: count) { (bits: UInt16) in HalfPrecision.float(fromBFloat16: bits) }
        case .f64:
            return decode(raw, count: count) { (bits: UInt64) in Float(Double(bitPattern: bits)) }
        default:
            preconditionFailure("decodeFloats called with \(dtype.rawValue)")
        }
    }

    /// Reads `count` little-endian `Word`s from `raw` (any alignment) and maps each through `convert`.
    @inline(__always)
    static func decode<Word: FixedWidthInteger, Value>(
        _ raw: UnsafeRawBufferPointer, count: Int, _ convert: (Word) -> Value
    ) -> [Value] {
        let stride = MemoryLayout<Word>.size
        precondition(raw.count >= count * stride, "tensor byte range shorter than its element count")
        return [Value](unsafeUninitializedCapacity: count) { buffer, initialized in
            for index in 0..<count {
                let word = raw.loadUnaligned(fromByteOffset: index * stride, as: Word.self)
                buffer[index] = convert(Word(littleEndian: word))
            }
            initialized = count
        }
    }
}
