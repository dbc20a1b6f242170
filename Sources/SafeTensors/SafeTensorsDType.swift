/// The element types a safetensors file may declare, spelled as in the file header.
public enum SafeTensorsDType: String, CaseIterable, Sendable {
    /// IEEE 754 double precision.
    case f64 = "F64"
    /// IEEE 754 single precision.
    case f32 = "F32"
    /// IEEE 754 half precision.
    case f16 = "F16"
    /// bfloat16: the top 16 bits of a float32.
    case bf16 = "BF16"
    /// Signed 64-bit integer.
    case i64 = "I64"
    /// Signed 32-bit integer.
    case i32 = "I32"
    /// Signed 16-bit integer.
    case i16 = "I16"
    /// Signed 8-bit integer.
    case i8 = "I8"
    /// Unsigned 8-bit integer.
    case u8 = "U8"
    /// One byte per element, 0 or 1.
    case bool = "BOOL"

    /// Bytes per element.
    public var byteSize: Int {
        switch self {
        case .f64, .i64: return 8
        case .f32, .i32: return 4
        case .f16, .bf16, .i16: return 2
        case .i8, .u8, .bool: return 1
        }
    }

    /// Whether ``SafeTensorsFile/floats(_:)`` can convert this dtype to Float.
    public var isFloatingPoint: Bool {
        switch self {
        case .f64, .f32, .f16, .bf16: return true
        default: return false
        }
    }
}

/// Name, dtype and shape of one tensor in a safetensors file.
public struct SafeTensorInfo: Equatable, Sendable {
    /// The tensor's name in the header.
    public let name: String
    /// Element type.
    public let dtype: SafeTensorsDType
    /// Dimensions, outermost first; `[]` for a scalar.
    public let shape: [Int]
    /// Byte range relative to the start of the data section.
    public let byteRange: Range<Int>

    /// Number of elements (product of ``shape``; 1 for a scalar).
    public var count: Int { shape.reduce(1, *) }
}
