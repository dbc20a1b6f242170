/// The x86-64 kernel families of OpenBLAS that Membrane chooses between, weakest first.
///
/// A DYNAMIC_ARCH OpenBLAS carries kernels for many processors and picks one by the processor's
/// model number when it loads; a model newer than the library gets its oldest kernels. Each
/// family here is the one for an instruction-set level, named as `OPENBLAS_CORETYPE` accepts it.
public enum BLASCoreFamily: Int, Comparable, CaseIterable, Sendable {
    /// SSE3.
    case prescott
    /// SSE4.2.
    case nehalem
    /// AVX.
    case sandybridge
    /// AVX2 and FMA.
    case haswell
    /// AVX-512 (F, BW, VL, DQ, CD).
    case skylakeX

    public static func < (lhs: Self, rhs: Self) -> Bool { lhs.rawValue < rhs.rawValue }

    /// The name `OPENBLAS_CORETYPE` takes and `openblas_get_corename()` gives for these kernels.
    public var coreType: String {
        switch self {
        case .prescott: "Prescott"
        case .nehalem: "Nehalem"
        case .sandybridge: "Sandybridge"
        case .haswell: "Haswell"
        case .skylakeX: "SkylakeX"
        }
    }

    /// The strongest family whose instructions `features` all has.
    public static func best(for features: CPUFeatures) -> BLASCoreFamily {
        if features.isSuperset(of: CPUFeatures.avx512SkylakeX.union([.avx2, .fma])) { return .skylakeX }
        if features.isSuperset(of: [.avx2, .fma]) { return .haswell }
        if features.contains(.avx) { return .sandybridge }
        if features.contains(.sse42) { return .nehalem }
        return .prescott
    }

    /// The level of the kernels OpenBLAS calls `coreName` (case ignored), or nil for a name not
    /// known here (a newer library, another architecture). Processor-specific kernels count at
    /// the level of the instructions they use, so that they are never replaced by generic ones of
    /// the same level: Zen and Excavator as Haswell, Cooperlake and SapphireRapids as SkylakeX.
    public init?(coreName: String) {
        let levels: [String: BLASCoreFamily] = [
            "katmai": .prescott, "coppermine": .prescott, "northwood": .prescott, "prescott": .prescott,
            "banias": .prescott, "core2": .prescott, "penryn": .prescott, "dunnington": .prescott,
            "athlon": .prescott, "opteron": .prescott, "opteron_sse3": .prescott, "barcelona": .prescott,
            "bobcat": .prescott, "atom": .nehalem, "nano": .nehalem, "nehalem": .nehalem,
            "sandybridge": .sandybridge, "bulldozer": .sandybridge, "piledriver": .sandybridge,
            "steamroller": .sandybridge, "excavator": .haswell, "haswell": .haswell, "zen": .haswell,
            "skylakex": .skylakeX, "cooperlake": .skylakeX, "sapphirerapids": .skylakeX,
        ]
        guard let level = levels[coreName.lowercased()] else { return nil }
        self = level
    }
}
