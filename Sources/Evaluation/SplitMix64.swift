/// A small deterministic random number generator (SplitMix64): the same seed gives the same
/// numbers on every platform and Swift version, unlike `SystemRandomNumberGenerator`.
public struct SplitMix64: RandomNumberGenerator, Sendable {
    private var state: UInt64

    /// A generator whose sequence is fixed by `seed`.
    public init(seed: UInt64) {
        state = seed
    }

    /// The next 64 random bits.
    public mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }

    /// A uniform number in [0, 1) with 53 random bits.
    mutating func unit() -> Double {
        Double(next() >> 11) * 0x1.0p-53
    }

    /// A uniform number in [low, high).
    mutating func uniform(_ low: Double, _ high: Double) -> Double {
        low + (high - low) * unit()
    }

    /// A uniform integer in 0..<count (`count` > 0).
    mutating func index(_ count: Int) -> Int {
        Int(next() % UInt64(count))
    }

    /// An approximately standard normal number: the centred sum of four 16-bit uniforms from
    /// one draw, scaled to unit variance (no transcendental functions, so bit-identical
    /// everywhere, and cheap).
    mutating func normal() -> Double {
        let bits = next()
        let sum = Int(bits & 0xFFFF) + Int((bits >> 16) & 0xFFFF) + Int((bits >> 32) & 0xFFFF) + Int(bits >> 48)
        return (Double(sum) / 65536 - 2) * 1.732_050_807_568_877_2
    }
}
