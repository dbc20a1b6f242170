/// Bit-level conversions between Float and the 16-bit float formats stored in safetensors files.
///
/// Written by hand (not with `Float16`) so they behave the same on every platform, including
/// macOS on x86_64 where `Float16` is unavailable.
public enum HalfPrecision {
    /// Widens IEEE 754 half-precision bits to Float, exactly (subnormals, infinities, NaN payloads).
    @inline(__always)
    public static func float(fromHalf bits: UInt16) -> Float {
        let sign = UInt32(bits & 0x8000) << 16
        let exponent = UInt32(bits >> 10) & 0x1F
        let mantissa = UInt32(bits & 0x3FF)
        if exponent == 0 {
            // Zero or subnormal: mantissa * 2^-24, exact in float32.
            let magnitude: Float = Float(mantissa) * 0x1p-24
            return sign == 0 ? magnitude : -magnitude
        }
        if exponent == 0x1F {
            // Infinity (mantissa 0) or NaN (payload kept in the top mantissa bits).
            return Float(bitPattern: sign | 0x7F80_0000 | (mantissa << 13))
        }
        let rebased: UInt32 = (exponent + 112) << 23
        return Float(bitPattern: sign | rebased | (mantissa << 13))
    }

    /// Narrows a Float to IEEE 754 half-precision bits, rounding to nearest with ties to even.
    ///
    /// Magnitudes from 65520 up become infinity; NaN stays NaN (quiet, payload truncated).
    @inline(__always)
    public static func halfBits(from value: Float) -> UInt16 {
        let bits = value.bitPattern
        let sign = UInt16(truncatingIfNeeded: (bits >> 16) & 0x8000)
        let magnitude = bits & 0x7FFF_FFFF
        if magnitude >= 0x7F80_0000 {
            if magnitude == 0x7F80_0000 { return sign | 0x7C00 }
            let payload = UInt16(truncatingIfNeeded: (magnitude >> 13) & 0x3FF)
            return sign | 0x7C00 | 0x200 | payload
        }
        if magnitude >= 0x477F_F000 {
            // 65520 and above round to infinity.
            return sign | 0x7C00
        }
        if magnitude < 0x3880_0000 {
            // Below 2^-14: a half subnormal (or zero). Scaling by 2^24 is exact; round the count
            // of 2^-24 units to nearest even. A result of 1024 is the smallest normal, which
            // has exactly that bit pattern.
            let scaled: Float = Float(bitPattern: magnitude) * 0x1p24
            let units = scaled.rounded(.toNearestOrEven)
            return sign | UInt16(units)
        }
        // Normal: rebase the exponent from 127 to 15 and round away the low 13 mantissa bits.
        let rebased = magnitude - (112 << 23)
        let odd = (rebased >> 13) & 1
        let rounded = (rebased + 0xFFF + odd) >> 13
        return sign | UInt16(truncatingIfNeeded: rounded)
    }

    /// Widens bfloat16 bits to Float (exact: bfloat16 is the top half of a float32).
    @inline(__always)
    public static func float(fromBFloat16 bits: UInt16) -> Float {
        Float(bitPattern: UInt32(bits) << 16)
    }

    /// Narrows a Float to bfloat16 bits, rounding to nearest with ties to even.
    ///
    /// Values that round past the largest finite bfloat16 become infinity; NaN stays NaN (quiet).
    @inline(__always)
    public static func bfloat16Bits(from value: Float) -> UInt16 {
        let bits = value.bitPattern
        if value.isNaN {
            return UInt16(truncatingIfNeeded: bits >> 16) | 0x0040
        }
        let odd = (bits >> 16) & 1
        let rounded = (bits &+ 0x7FFF &+ odd) >> 16
        return UInt16(truncatingIfNeeded: rounded)
    }
}
