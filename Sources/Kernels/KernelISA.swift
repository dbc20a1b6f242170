import Foundation
import Synchronization

/// The instruction set Membrane's own kernels (small GEMM, softmax exponentials, GEGLU, norm
/// sums) run on: one choice per process, made once from ``CPUFeatures`` and the
/// `MEMBRANE_ISA` environment variable, and read by every kernel that has versions for several.
///
/// Results differ between instruction sets in the last bits, never more than the stated
/// accuracy of each kernel: the AVX-512 kernels add 16 lanes where the AVX2 ones add 8, so
/// sums (softmax denominators, norm statistics) are rounded in a different order, and the
/// GEGLU reciprocal starts from a different estimate. The small GEMM keeps one FMA chain per
/// element over `k` in order on both, so its results are the same bits. Within one instruction
/// set every kernel sums in a fixed order, so reruns are bit-identical. Membranes trained on
/// AVX-512 and on AVX2 machines may therefore differ in their last bits; the ranks of one
/// training group still take identical steps whatever their instruction sets, because each
/// step (gradient clipping, AdamW) reads only the all-reduced gradient, in plain Swift code.
public enum KernelISA: String, CaseIterable, Comparable, Sendable, CustomStringConvertible {
    /// Portable Swift SIMD code (the baseline of the target: SSE2 on x86-64).
    case generic
    /// AVX2 and FMA on 256-bit vectors.
    case avx2
    /// AVX-512 F, BW, VL and DQ on 512-bit vectors.
    case avx512

    /// The environment variable that forces an instruction set (`generic`, `avx2` or `avx512`).
    public static let environmentVariable = "MEMBRANE_ISA"

    /// The processor features an instruction set needs.
    public var requiredFeatures: CPUFeatures {
        switch self {
        case .generic: []
        case .avx2: [.avx2, .fma]
        case .avx512: [.avx2, .fma, .avx512F, .avx512BW, .avx512VL, .avx512DQ]
        }
    }

    /// The name `MEMBRANE_ISA` takes.
    public var description: String { rawValue }

    public static func < (lhs: KernelISA, rhs: KernelISA) -> Bool {
        allCases.firstIndex(of: lhs)! < allCases.firstIndex(of: rhs)!
    }

    /// Whether a processor with `features` runs this instruction set.
    public func runs(on features: CPUFeatures) -> Bool { features.isSuperset(of: requiredFeatures) }

    /// The strongest instruction set a processor with `features` runs.
    public static func best(for features: CPUFeatures) -> KernelISA {
        allCases.last { $0.runs(on: features) } ?? .generic
    }
}

/// The instruction set chosen for a process, and why.
public struct KernelISAChoice: Equatable, Sendable {
    /// The instruction set the kernels run.
    public let isa: KernelISA
    /// Whether `MEMBRANE_ISA` forced it (else it is the processor's best).
    public let forced: Bool
    /// The processor's best instruction set.
    public let best: KernelISA

    /// One line for `membrane doctor`, e.g. "avx2 (forced by MEMBRANE_ISA; this CPU runs avx512)".
    public var explanation: String {
        if forced { return "\(isa) (forced by \(KernelISA.environmentVariable); this CPU runs up to \(best))" }
        return "\(isa) (the best this CPU runs; \(KernelISA.environmentVariable)=\(KernelISA.allCases.map(\.rawValue).joined(separator: "|")) forces one)"
    }
}

/// Why a `MEMBRANE_ISA` value is refused.
public struct KernelISAError: Error, Equatable, CustomStringConvertible {
    /// The value given.
    public let value: String
    /// The processor's features.
    public let features: CPUFeatures

    public var description: String {
        let names = KernelISA.allCases.map(\.rawValue).joined(separator: ", ")
        guard let isa = KernelISA(rawValue: value) else {
            return "\(KernelISA.environmentVariable)=\(value) is not an instruction set Membrane knows (one of: \(names))"
        }
        let missing = isa.requiredFeatures.subtracting(features)
        return "\(KernelISA.environmentVariable)=\(value) needs \(missing), which this CPU lacks "
            + "(it runs up to \(KernelISA.best(for: features)))"
    }
}

extension KernelISA {
    /// The choice for a process started with `environment` on a processor with `features`:
    /// `MEMBRANE_ISA` when set (an unknown name, or an instruction set the processor cannot run,
    /// is an error), else the processor's best.
    public static func choose(environment: [String: String], features: CPUFeatures) -> Result<KernelISAChoice, KernelISAError> {
        let best = best(for: features)
        guard let text = environment[environmentVariable], !text.isEmpty else {
            return .success(KernelISAChoice(isa: best, forced: false, best: best))
        }
        guard let isa = KernelISA(rawValue: text.lowercased()), isa.runs(on: features) else {
            return .failure(KernelISAError(value: text, features: features))
        }
        return .success(KernelISAChoice(isa: isa, forced: true, best: best))
    }

    /// This process's choice, made once from its environment and processor.
    public static let selection = choose(environment: ProcessInfo.processInfo.environment, features: .current)

    /// Throws when `MEMBRANE_ISA` is refused; programs call it at start so a bad value stops
    /// them with the message rather than running on another instruction set than asked.
    public static func validateEnvironment() throws -> KernelISAChoice { try selection.get() }

    /// The instruction set the kernels run now: ``selection``'s, or the processor's best when
    /// `MEMBRANE_ISA` was refused (programs stop at ``validateEnvironment()`` before that).
    public static var active: KernelISA {
        KernelISA.allCases[activeISAIndex.load(ordering: .relaxed)]
    }

    /// Runs `body` with the kernels on `isa` (which the processor must run), then restores the
    /// previous choice. For tests that compare instruction sets in one process; not for
    /// concurrent use (every kernel reads the one process-wide choice).
    static func withActive<T>(_ isa: KernelISA, _ body: () throws -> T) rethrows -> T {
        precondition(isa.runs(on: .current), "\(isa) does not run on this CPU")
        let saved = activeISAIndex.exchange(KernelISA.allCases.firstIndex(of: isa)!, ordering: .relaxed)
        defer { activeISAIndex.store(saved, ordering: .relaxed) }
        return try body()
    }
}

/// Index in ``KernelISA/allCases`` of ``KernelISA/active``.
let activeISAIndex = Atomic<Int>({
    let isa = (try? KernelISA.selection.get())?.isa ?? KernelISA.best(for: .current)
    return KernelISA.allCases.firstIndex(of: isa)!
}())
