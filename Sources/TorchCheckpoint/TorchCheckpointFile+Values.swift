import SafeTensors

extension TorchCheckpointFile {
    /// The values of tensor `name` as Float32, row-major.
    ///
    /// F32 is copied; F16 (including subnormals, infinities and NaN), BF16 and F64 are converted
    /// (F64 rounds to nearest).
    ///
    /// - Throws: ``TorchCheckpointError`` `.missingTensor`, `.wrongDType` for integer and bool
    ///   tensors, `.nonContiguous` for strided views, or an archive read error.
    public func floats(_ name: String) throws -> [Float] {
        let entry = try info(name)
        guard entry.dtype.isFloatingPoint else {
            throw wrongDType(entry, wanted: "a floating-point dtype (F32, F16, BF16, F64)")
        }
        let raw = try tensorBytes(entry)
        switch entry.dtype {
        case .f32: return Self.decode(raw, count: entry.count) { (bits: UInt32) in Float(bitPattern: bits) }
        case .f16: return Self.decode(raw, count: entry.count) { (bits: UInt16) in HalfPrecision.float(fromHalf: bits) }
        case .bf16: return Self.decode(raw, count: entry.count) { (bits: UInt16) in HalfPrecision.float(fromBFloat16: bits) }
        default: return Self.decode(raw, count: entry.count) { (bits: UInt64) in Float(Double(bitPattern: bits)) }
        }
    }

    /// Calls `body` with the values of tensor `name` as Float32 (see ``floats(_:)``).
    ///
    /// For an F32 tensor (4-byte aligned in the file, as torch.save aligns every storage) the
    /// buffer points straight into the mapping, without copying; otherwise the values are
    /// converted into a temporary array first. The buffer is valid only during the call.
    public func withFloatBuffer<R>(_ name: String, _ body: (UnsafeBufferPointer<Float>) throws -> R) throws -> R {
        let entry = try info(name)
        if entry.dtype == .f32 {
            let raw = try tensorBytes(entry)
            #if _endian(little)
            if let start = raw.baseAddress, Int(bitPattern: start) % MemoryLayout<Float>.alignment == 0 {
                return try body(UnsafeBufferPointer(start: start.assumingMemoryBound(to: Float.self), count: raw.count / 4))
            }
            #endif
        }
        return try floats(name).withUnsafeBufferPointer { try body($0) }
    }

    /// The values of integer tensor `name` as Int64 (I64 copied; I32, I16, I8, U8, BOOL widened).
    ///
    /// - Throws: ``TorchCheckpointError`` `.missingTensor`, `.wrongDType` for floating-point
    ///   tensors, `.nonContiguous` for strided views, or an archive read error.
    public func int64s(_ name: String) throws -> [Int64] {
        let entry = try info(name)
        guard !entry.dtype.isFloatingPoint else {
            throw wrongDType(entry, wanted: "an integer dtype (I64, I32, I16, I8, U8, BOOL)")
        }
        let raw = try tensorBytes(entry)
        let count = entry.count
        switch entry.dtype {
        case .i64: return Self.decode(raw, count: count) { (bits: UInt64) in Int64(bitPattern: bits) }
        case .i32: return Self.decode(raw, count: count) { (bits: UInt32) in Int64(Int32(bitPattern: bits)) }
        case .i16: return Self.decode(raw, count: count) { (bits: UInt16) in Int64(Int16(bitPattern: bits)) }
        case .i8: return Self.decode(raw, count: count) { (bits: UInt8) in Int64(Int8(bitPattern: bits)) }
        default: return Self.decode(raw, count: count) { (bits: UInt8) in Int64(bits) }
        }
    }

    /// A copy of the raw little-endian bytes of tensor `name`, row-major.
    ///
    /// - Throws: ``TorchCheckpointError`` `.missingTensor`, `.nonContiguous` for a view whose
    ///   elements are not one row-major run of its storage, or an archive read error.
    public func bytes(_ name: String) throws -> [UInt8] {
        Array(try tensorBytes(try info(name)))
    }

    /// The bytes of `entry` in the mapping (valid while `self` is alive).
    func tensorBytes(_ entry: TorchTensorInfo) throws -> UnsafeRawBufferPointer {
        guard entry.isContiguous else {
            throw TorchCheckpointError(.nonContiguous, path: path, tensor: entry.name, "shape \(entry.shape) has strides \(entry.stride), not a row-major layout; save it with .contiguous() (this reader does not gather strided views)")
        }
        let storage = try archive.data("data/\(entry.storageKey)", maxBytes: limits.maxStorageBytes, tensor: entry.name)
        let size = entry.dtype.byteSize
        let start = entry.storageOffset.multipliedReportingOverflow(by: size)
        let length = entry.count.multipliedReportingOverflow(by: size)
        let end = start.partialValue.addingReportingOverflow(length.partialValue)
        guard !start.overflow, !length.overflow, !end.overflow, end.partialValue <= storage.count else {
            throw TorchCheckpointError(.storageMismatch, path: path, tensor: entry.name, "storage '\(entry.storageKey)' holds \(storage.count) bytes, fewer than the tensor needs")
        }
        return UnsafeRawBufferPointer(rebasing: storage[start.partialValue..<end.partialValue])
    }

    func wrongDType(_ entry: TorchTensorInfo, wanted: String) -> TorchCheckpointError {
        TorchCheckpointError(.wrongDType, path: path, tensor: entry.name, "dtype is \(entry.dtype.rawValue), expected \(wanted)")
    }

    /// Reads `count` little-endian `Word`s from `raw` and maps each through `convert`; `raw`
    /// holds exactly `count` words (checked by ``bytes(_:)``), and a shorter buffer yields fewer.
    static func decode<Word: FixedWidthInteger, Value>(_ raw: UnsafeRawBufferPointer, count: Int, _ convert: (Word) -> Value) -> [Value] {
        let stride = MemoryLayout<Word>.size
        let available = min(count, raw.count / stride)
        return [Value](unsafeUninitializedCapacity: available) { values, initialized in
            for index in 0..<available {
                let word = raw.loadUnaligned(fromByteOffset: index * stride, as: Word.self)
                values[index] = convert(Word(littleEndian: word))
            }
            initialized = available
        }
    }
}

extension TorchCheckpointFile {
    /// Calls `body` with the stored little-endian bytes of tensor `name` in the mapping, without
    /// copying (valid only during the call).
    ///
    /// - Throws: as ``bytes(_:)``.
    public func withRawBytes<R>(_ name: String, _ body: (UnsafeRawBufferPointer) throws -> R) throws -> R {
        try body(try tensorBytes(try info(name)))
    }
}
