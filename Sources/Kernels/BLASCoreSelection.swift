import Foundation

/// Runs OpenBLAS's best kernels for this processor when OpenBLAS does not know its model.
///
/// A DYNAMIC_ARCH OpenBLAS chooses its kernels in its library constructor, before `main`, from
/// the processor's model number, or from `OPENBLAS_CORETYPE` when that is set. A processor newer
/// than the library gets the oldest kernels (Debian's 0.3.21 runs Prescott's SSE3 kernels on
/// Sapphire Rapids). Since the choice is made before any Swift code runs, the only way to change
/// it is to set `OPENBLAS_CORETYPE` and execute the program again: ``ensureBestCore(arguments:)``
/// does that, as the first thing a program does, when cpuid shows a stronger family than the one
/// running. The re-executed process keeps its process id, so MPI launchers see nothing of it.
public enum BLASCoreSelection {
    /// OpenBLAS's variable naming the kernels to run.
    public static let coreTypeVariable = "OPENBLAS_CORETYPE"
    /// Set with ``coreTypeVariable``, to the same family name, before re-executing: tells the new
    /// process (and `membrane doctor`) that Membrane made the choice, and stops a second re-exec.
    public static let markerVariable = "MEMBRANE_BLAS_REEXEC"

    /// What ``ensureBestCore(arguments:)`` does.
    public enum Action: Equatable, Sendable {
        /// Run on with the kernels OpenBLAS chose.
        case keep(Reason)
        /// Set `OPENBLAS_CORETYPE` to this family and execute the program again.
        case reexec(BLASCoreFamily)
    }

    /// Why the kernels stay as they are.
    public enum Reason: Equatable, Sendable {
        /// The user set `OPENBLAS_CORETYPE`: that choice is never overridden.
        case userCoreType
        /// This process is the re-executed one (the marker is set).
        case alreadyReexecuted
        /// OpenBLAS runs kernels at least as strong as the processor's best family.
        case alreadyBest
        /// OpenBLAS names kernels not known here, so they cannot be compared.
        case unknownCore
        /// OpenBLAS was built for one processor only and ignores `OPENBLAS_CORETYPE`.
        case fixedBuild
    }

    /// The action for a process whose processor has `features`, whose OpenBLAS runs the kernels
    /// it names `coreName` (`openblas_get_corename()`), was built with DYNAMIC_ARCH or not, and
    /// which started with `environment`.
    public static func decide(features: CPUFeatures, coreName: String, dynamicArch: Bool,
                              environment: [String: String]) -> Action {
        switch BLASCoreSource(environment: environment) {
        case .user: return .keep(.userCoreType)
        case .cpuid: return .keep(.alreadyReexecuted)
        case .openBLAS: break
        }
        if environment[markerVariable] != nil { return .keep(.alreadyReexecuted) }
        if !dynamicArch { return .keep(.fixedBuild) }
        guard let running = BLASCoreFamily(coreName: coreName) else { return .keep(.unknownCore) }
        let best = BLASCoreFamily.best(for: features)
        return running >= best ? .keep(.alreadyBest) : .reexec(best)
    }

    /// Re-executes this program (`/proc/self/exe` with `arguments`) with `OPENBLAS_CORETYPE` set
    /// to the processor's best family, when ``decide(features:coreName:dynamicArch:environment:)``
    /// says so; returns otherwise. Call it first in `main`, before any thread, MPI or output.
    /// If the execution fails, prints a warning and returns with the kernels OpenBLAS chose.
    public static func ensureBestCore(arguments: [String] = CommandLine.arguments) {
        #if os(Linux)
        let action = decide(features: .current, coreName: BLAS.coreName, dynamicArch: BLAS.isDynamicArch,
                            environment: ProcessInfo.processInfo.environment)
        guard case .reexec(let family) = action else { return }
        setenv(coreTypeVariable, family.coreType, 1)
        setenv(markerVariable, family.coreType, 1)
        var cArguments: [UnsafeMutablePointer<CChar>?] = arguments.map { strdup($0) } + [nil]
        execv("/proc/self/exe", &cArguments)
        let reason = String(cString: strerror(errno))
        cArguments.forEach { free($0) }
        unsetenv(coreTypeVariable)
        unsetenv(markerVariable)
        let warning = "warning: could not re-execute with \(coreTypeVariable)=\(family.coreType) (\(reason)); "
            + "OpenBLAS keeps its \(BLAS.coreName) kernels\n"
        FileHandle.standardError.write(Data(warning.utf8))
        #endif
    }
}
