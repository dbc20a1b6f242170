import CKernels

/// The vector instruction sets this processor has and the operating system lets programs use.
///
/// Read from cpuid and the XCR0 register: an instruction set whose registers the operating
/// system does not save on a context switch (AVX's ymm, AVX-512's zmm and mask registers, AMX's
/// tiles) counts as absent, whatever cpuid says.
public struct CPUFeatures: OptionSet, Sendable, Hashable, CustomStringConvertible {
    public let rawValue: UInt32
    public init(rawValue: UInt32) { self.rawValue = rawValue }

    /// SSE4.2.
    public static let sse42 = CPUFeatures(rawValue: 1 << 0)
    /// AVX (256-bit float vectors).
    public static let avx = CPUFeatures(rawValue: 1 << 1)
    /// AVX2 (256-bit integer vectors).
    public static let avx2 = CPUFeatures(rawValue: 1 << 2)
    /// Fused multiply-add on xmm and ymm registers.
    public static let fma = CPUFeatures(rawValue: 1 << 3)
    /// AVX-512 Foundation.
    public static let avx512F = CPUFeatures(rawValue: 1 << 4)
    /// AVX-512 byte and word instructions.
    public static let avx512BW = CPUFeatures(rawValue: 1 << 5)
    /// AVX-512 on 128- and 256-bit vectors.
    public static let avx512VL = CPUFeatures(rawValue: 1 << 6)
    /// AVX-512 doubleword and quadword instructions.
    public static let avx512DQ = CPUFeatures(rawValue: 1 << 7)
    /// AVX-512 conflict detection.
    public static let avx512CD = CPUFeatures(rawValue: 1 << 8)
    /// AVX-512 bfloat16 dot products.
    public static let avx512BF16 = CPUFeatures(rawValue: 1 << 9)
    /// AMX tile registers (with the operating system saving the tile state).
    public static let amx = CPUFeatures(rawValue: 1 << 10)

    /// The AVX-512 subsets OpenBLAS's SkylakeX kernels use.
    public static let avx512SkylakeX: CPUFeatures = [.avx512F, .avx512BW, .avx512VL, .avx512DQ, .avx512CD]

    /// Each feature with its usual name, in the order `membrane doctor` lists them.
    public static let named: [(feature: CPUFeatures, name: String)] = [
        (.sse42, "SSE4.2"), (.avx, "AVX"), (.avx2, "AVX2"), (.fma, "FMA"),
        (.avx512F, "AVX-512F"), (.avx512BW, "AVX-512BW"), (.avx512VL, "AVX-512VL"), (.avx512DQ, "AVX-512DQ"),
        (.avx512CD, "AVX-512CD"), (.avx512BF16, "AVX512-BF16"), (.amx, "AMX"),
    ]

    /// The names of the features present, space separated ("none" for none).
    public var description: String {
        let names = Self.named.filter { contains($0.feature) }.map(\.name)
        return names.isEmpty ? "none" : names.joined(separator: " ")
    }

    /// This processor's features, read once.
    public static let current: CPUFeatures = {
        var registers = membrane_cpuid()
        membrane_cpuid_read(&registers)
        return CPUFeatures(leaf1ECX: registers.leaf1_ecx, leaf7EBX: registers.leaf7_ebx, leaf7EDX: registers.leaf7_edx,
                           leaf7Subleaf1EAX: registers.leaf7_1_eax, xcr0: registers.xcr0)
    }()

    /// The features that cpuid words and XCR0 describe: `leaf1ECX` is CPUID.1:ECX, `leaf7EBX` and
    /// `leaf7EDX` are CPUID.(7,0):EBX and EDX, `leaf7Subleaf1EAX` is CPUID.(7,1):EAX, and `xcr0` is
    /// XGETBV(0) (0 when the OSXSAVE bit of `leaf1ECX` is clear).
    public init(leaf1ECX: UInt32, leaf7EBX: UInt32, leaf7EDX: UInt32, leaf7Subleaf1EAX: UInt32, xcr0: UInt64) {
        func bit(_ word: UInt32, _ index: Int) -> Bool { word & (1 << index) != 0 }
        // XCR0 bits 1-2: xmm and ymm state; 5-7: opmask and zmm state; 17-18: tile config and data.
        let osSavesYMM = bit(leaf1ECX, 27) && xcr0 & 0x6 == 0x6
        let osSavesZMM = osSavesYMM && xcr0 & 0xE0 == 0xE0
        let osSavesTiles = bit(leaf1ECX, 27) && xcr0 & 0x6_0000 == 0x6_0000
        var features: CPUFeatures = []
        if bit(leaf1ECX, 20) { features.insert(.sse42) }
        if osSavesYMM {
            if bit(leaf1ECX, 28) { features.insert(.avx) }
            if bit(leaf7EBX, 5) { features.insert(.avx2) }
            if bit(leaf1ECX, 12) { features.insert(.fma) }
        }
        if osSavesZMM {
            let avx512: [(Int, CPUFeatures)] = [(16, .avx512F), (30, .avx512BW), (31, .avx512VL), (17, .avx512DQ), (28, .avx512CD)]
            for (index, feature) in avx512 where bit(leaf7EBX, index) { features.insert(feature) }
            if bit(leaf7Subleaf1EAX, 5) { features.insert(.avx512BF16) }
        }
        if osSavesTiles && bit(leaf7EDX, 24) { features.insert(.amx) }
        self = features
    }
}
