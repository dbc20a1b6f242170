import Foundation
import Kernels
import XCTest

/// Feature decoding from cpuid words and XCR0, and the features read on this machine.
final class CPUFeaturesTests: XCTestCase {
    /// CPUID.1:ECX with SSE4.2, FMA, OSXSAVE and AVX.
    let leaf1: UInt32 = 1 << 20 | 1 << 12 | 1 << 27 | 1 << 28
    /// CPUID.(7,0):EBX with AVX2 and AVX-512 F, DQ, CD, BW, VL.
    let leaf7: UInt32 = 1 << 5 | 1 << 16 | 1 << 17 | 1 << 28 | 1 << 30 | 1 << 31
    /// CPUID.(7,0):EDX with AMX-BF16, AMX-TILE and AMX-INT8.
    let leaf7EDX: UInt32 = 1 << 22 | 1 << 24 | 1 << 25

    func testAllStatesSavedGivesEveryFeature() {
        let features = CPUFeatures(leaf1ECX: leaf1, leaf7EBX: leaf7, leaf7EDX: leaf7EDX, leaf7Subleaf1EAX: 1 << 5,
                                   xcr0: 0x6_00E7)
        XCTAssertEqual(features, CPUFeatures(CPUFeatures.named.map(\.feature)))
        XCTAssertEqual(features.description,
                       "SSE4.2 AVX AVX2 FMA AVX-512F AVX-512BW AVX-512VL AVX-512DQ AVX-512CD AVX512-BF16 AMX")
        XCTAssertEqual(BLASCoreFamily.best(for: features), .skylakeX)
    }

    func testZMMStateNotSavedDropsAVX512() {
        let features = CPUFeatures(leaf1ECX: leaf1, leaf7EBX: leaf7, leaf7EDX: 0, leaf7Subleaf1EAX: 1 << 5, xcr0: 0x7)
        XCTAssertEqual(features, CPUFeatures([.sse42, .avx, .avx2, .fma]))
        XCTAssertEqual(BLASCoreFamily.best(for: features), .haswell)
    }

    func testWithoutOSXSAVENothingNeedingYMMState() {
        let features = CPUFeatures(leaf1ECX: leaf1 & ~(1 << 27), leaf7EBX: leaf7, leaf7EDX: leaf7EDX,
                                   leaf7Subleaf1EAX: 0, xcr0: 0)
        XCTAssertEqual(features, CPUFeatures.sse42)
        XCTAssertEqual(BLASCoreFamily.best(for: features), .nehalem)
        XCTAssertEqual(CPUFeatures().description, "none")
    }

    /// The features read here against the flags Linux lists in /proc/cpuinfo (which it shows only
    /// for register states it saves).
    func testCurrentMatchesProcCpuinfo() throws {
        #if os(Linux) && arch(x86_64)
        let cpuinfo = try String(contentsOfFile: "/proc/cpuinfo", encoding: .utf8)
        let line = try XCTUnwrap(cpuinfo.split(separator: "\n").first { $0.hasPrefix("flags") })
        let flags = Set(line.split(separator: " ").map(String.init))
        let linuxNames: [(CPUFeatures, String)] = [
            (.sse42, "sse4_2"), (.avx, "avx"), (.avx2, "avx2"), (.fma, "fma"), (.avx512F, "avx512f"),
            (.avx512BW, "avx512bw"), (.avx512VL, "avx512vl"), (.avx512DQ, "avx512dq"), (.avx512CD, "avx512cd"),
            (.avx512BF16, "avx512_bf16"), (.amx, "amx_tile"),
        ]
        for (feature, name) in linuxNames {
            XCTAssertEqual(CPUFeatures.current.contains(feature), flags.contains(name), name)
        }
        try XCTSkipUnless(flags.isSuperset(of: ["avx2", "fma"]), "this processor has no AVX2 and FMA")
        XCTAssertTrue(CPUFeatures.current.isSuperset(of: [.avx2, .fma]))
        XCTAssertTrue(smallGemmAvailable)
        #else
        throw XCTSkip("cpuid flags are compared with Linux's /proc/cpuinfo on x86-64 only")
        #endif
    }
}
