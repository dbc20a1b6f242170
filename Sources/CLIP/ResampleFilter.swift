import Foundation

/// The convolution filters of PIL's `Image.resize`, numbered as PIL numbers them (the `resample`
/// value of a `preprocessor_config.json`). Nearest-neighbour (0) is not a convolution and is not
/// provided.
public enum ResampleFilter: Int, Sendable, CaseIterable {
    /// A sinc windowed by a sinc, 3 pixels each side.
    case lanczos = 1
    /// A triangle, 1 pixel each side.
    case bilinear = 2
    /// Keys' cubic convolution with a = -0.5, 2 pixels each side.
    case bicubic = 3
    /// The mean over each output pixel's footprint.
    case box = 4
    /// A sinc windowed by a Hamming window, 1 pixel each side.
    case hamming = 5

    /// Half-width of the filter, in source pixels, when the image is not shrunk.
    var support: Double {
        switch self {
        case .box: return 0.5
        case .bilinear, .hamming: return 1
        case .bicubic: return 2
        case .lanczos: return 3
        }
    }

    /// The filter's weight at distance `x`, with PIL's constants: the bicubic kernel uses
    /// a = -0.5; Hamming's window constants are single-precision numbers widened to double.
    func weight(_ x: Double) -> Double {
        switch self {
        case .box:
            return x > -0.5 && x <= 0.5 ? 1 : 0
        case .bilinear:
            let d = abs(x)
            return d < 1 ? 1 - d : 0
        case .hamming:
            let d = abs(x)
            if d == 0 { return 1 }
            if d >= 1 { return 0 }
            let t = d * Double.pi
            return sin(t) / t * (Double(Float(0.54)) + Double(Float(0.46)) * cos(t))
        case .bicubic:
            let a = -0.5, d = abs(x)
            if d < 1 { return ((a + 2) * d - (a + 3)) * d * d + 1 }
            if d < 2 { return (((d - 5) * d + 8) * d - 4) * a }
            return 0
        case .lanczos:
            guard x >= -3 && x < 3 else { return 0 }
            return Self.sinc(x) * Self.sinc(x / 3)
        }
    }

    private static func sinc(_ x: Double) -> Double {
        if x == 0 { return 1 }
        let t = x * Double.pi
        return sin(t) / t
    }
}

/// The fixed-point taps of one output pixel along one axis: the first source index and one
/// weight per source pixel from there.
struct ResampleTaps {
    /// Bits after the binary point of the weights (PIL keeps two bits of headroom for the
    /// negative lobes on top of the 8 bits of the samples in a 32-bit sum).
    static let precisionBits = 22

    var first: Int
    var weights: [Int]

    /// The taps of every output pixel when `inSize` pixels become `outSize` along one axis.
    ///
    /// The filter is stretched by the shrink factor (never narrowed when enlarging); output pixel
    /// i is centred at source coordinate (i + 0.5) * scale; the window's ends are rounded half
    /// up and clipped to the image; weights are normalised to sum to 1 in double precision, then
    /// rounded half away from zero to `precisionBits` fixed point, as PIL does for 8-bit images.
    static func axis(inSize: Int, outSize: Int, filter: ResampleFilter) -> [ResampleTaps] {
        let scale = Double(inSize) / Double(outSize)
        let filterScale = max(scale, 1)
        let support = filter.support * filterScale
        let inverse = 1 / filterScale
        let unit = Double(1 << precisionBits)
        return (0..<outSize).map { i in
            let center = (Double(i) + 0.5) * scale
            let lower = max(Int(center - support + 0.5), 0)
            let upper = min(Int(center + support + 0.5), inSize)
            var raw: [Double] = []
            var total = 0.0
            for x in lower..<max(upper, lower) {
                let w = filter.weight((Double(x) - center + 0.5) * inverse)
                raw.append(w)
                total += w
            }
            let weights = raw.map { w -> Int in
                let normalised = total != 0 ? w / total : w
                return normalised < 0 ? Int(-0.5 + normalised * unit) : Int(0.5 + normalised * unit)
            }
            return ResampleTaps(first: lower, weights: weights)
        }
    }

    /// The 8-bit sample of a fixed-point sum that started at one half: the integer part,
    /// clipped to 0...255.
    @inline(__always)
    static func clip(_ sum: Int) -> UInt8 {
        UInt8(clamping: sum >> precisionBits)
    }
}
