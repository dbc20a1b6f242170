import Kernels
import XCTest

/// The choice of OpenBLAS kernels: families, the re-exec decision and its explanation.
final class BLASCoreSelectionTests: XCTestCase {
    let avx512: CPUFeatures = CPUFeatures.avx512SkylakeX.union([.sse42, .avx, .avx2, .fma])
    let avx2: CPUFeatures = [.sse42, .avx, .avx2, .fma]
    let coreType = BLASCoreSelection.coreTypeVariable
    let marker = BLASCoreSelection.markerVariable

    func decide(_ features: CPUFeatures, running coreName: String, dynamicArch: Bool = true,
                _ environment: [String: String] = [:]) -> BLASCoreSelection.Action {
        BLASCoreSelection.decide(features: features, coreName: coreName, dynamicArch: dynamicArch, environment: environment)
    }

    func testWeakerCoreIsReplacedByTheBestFamily() {
        XCTAssertEqual(decide(avx512, running: "Prescott"), .reexec(.skylakeX))
        XCTAssertEqual(decide(avx512, running: "Haswell"), .reexec(.skylakeX))
        XCTAssertEqual(decide(avx2, running: "Prescott"), .reexec(.haswell))
        XCTAssertEqual(decide([.sse42, .avx], running: "Core2"), .reexec(.sandybridge))
    }

    func testUserValueWins() {
        XCTAssertEqual(decide(avx512, running: "Prescott", [coreType: "Haswell"]), .keep(.userCoreType))
        XCTAssertEqual(decide(avx512, running: "Prescott", [coreType: "prescott"]), .keep(.userCoreType))
        XCTAssertEqual(decide(avx512, running: "Prescott", [coreType: "Haswell", marker: "SkylakeX"]),
                       .keep(.userCoreType))
    }

    func testAlreadyBestIsKept() {
        XCTAssertEqual(decide(avx512, running: "SkylakeX"), .keep(.alreadyBest))
        XCTAssertEqual(decide(avx512, running: "Cooperlake"), .keep(.alreadyBest))
        XCTAssertEqual(decide(avx2, running: "Zen"), .keep(.alreadyBest))
        XCTAssertEqual(decide(avx2, running: "SKYLAKEX"), .keep(.alreadyBest))
        XCTAssertEqual(decide([], running: "Prescott"), .keep(.alreadyBest))
    }

    func testMarkerStopsASecondReexec() {
        // OpenBLAS may still fall back (a CPU it thinks lacks the instructions): never loop.
        XCTAssertEqual(decide(avx512, running: "Prescott", [coreType: "SkylakeX", marker: "SkylakeX"]),
                       .keep(.alreadyReexecuted))
        XCTAssertEqual(decide(avx512, running: "Prescott", [marker: "SkylakeX"]), .keep(.alreadyReexecuted))
    }

    func testUnknownCoreAndFixedBuildAreKept() {
        XCTAssertEqual(decide(avx512, running: "Unknown"), .keep(.unknownCore))
        XCTAssertEqual(decide(avx512, running: "NeoverseN1"), .keep(.unknownCore))
        XCTAssertEqual(decide(avx512, running: "Prescott", dynamicArch: false), .keep(.fixedBuild))
    }

    func testFamiliesUseOpenBLASNames() {
        XCTAssertEqual(BLASCoreFamily.allCases.map(\.coreType), ["Prescott", "Nehalem", "Sandybridge", "Haswell", "SkylakeX"])
        for family in BLASCoreFamily.allCases {
            XCTAssertEqual(BLASCoreFamily(coreName: family.coreType), family)
        }
        XCTAssertEqual(BLASCoreFamily(coreName: "Excavator"), .haswell)
        XCTAssertEqual(BLASCoreFamily(coreName: "SapphireRapids"), .skylakeX)
        XCTAssertNil(BLASCoreFamily(coreName: "POWER9"))
    }

    func testSourceNamesWhoChose() {
        XCTAssertEqual(BLASCoreSource(environment: [:]), .openBLAS)
        XCTAssertEqual(BLASCoreSource(environment: [coreType: "Haswell"]), .user("Haswell"))
        XCTAssertEqual(BLASCoreSource(environment: [coreType: "SkylakeX", marker: "SkylakeX"]), .cpuid(.skylakeX))
        XCTAssertEqual(BLASCoreSource(environment: [coreType: "Haswell", marker: "1"]), .user("Haswell"))
        XCTAssertEqual(BLASCoreSource.user("Haswell").explanation, "OPENBLAS_CORETYPE=Haswell set by the user")
        XCTAssertTrue(BLASCoreSource.cpuid(.skylakeX).explanation.hasPrefix("chosen from cpuid"))
        XCTAssertEqual(BLASCoreSource.openBLAS.explanation, "OpenBLAS's own detection")
    }

    /// This process's OpenBLAS names kernels this file knows (the Debian library's names).
    func testRunningCoreNameIsKnown() throws {
        #if arch(x86_64)
        XCTAssertNotNil(BLASCoreFamily(coreName: BLAS.coreName), BLAS.coreName)
        #else
        throw XCTSkip("OpenBLAS's x86-64 kernel names only")
        #endif
    }
}
