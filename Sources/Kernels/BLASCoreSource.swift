/// Why OpenBLAS runs the kernels it runs, from the environment the process started with.
public enum BLASCoreSource: Equatable, Sendable {
    /// The user set `OPENBLAS_CORETYPE` to this value.
    case user(String)
    /// ``BLASCoreSelection/ensureBestCore(arguments:)`` set `OPENBLAS_CORETYPE` to this family,
    /// read from cpuid, and re-executed the process.
    case cpuid(BLASCoreFamily)
    /// OpenBLAS chose by itself, from the processor's model number.
    case openBLAS

    /// The source that `environment` shows: `OPENBLAS_CORETYPE` equal to the value of
    /// ``BLASCoreSelection/markerVariable`` was set by Membrane, any other value by the user.
    public init(environment: [String: String]) {
        guard let coreType = environment[BLASCoreSelection.coreTypeVariable] else {
            self = .openBLAS
            return
        }
        if environment[BLASCoreSelection.markerVariable] == coreType, let family = BLASCoreFamily(coreName: coreType),
           family.coreType == coreType {
            self = .cpuid(family)
        } else {
            self = .user(coreType)
        }
    }

    /// A phrase for `membrane doctor`, e.g. "OPENBLAS_CORETYPE=Haswell set by the user".
    public var explanation: String {
        switch self {
        case .user(let value): "\(BLASCoreSelection.coreTypeVariable)=\(value) set by the user"
        case .cpuid(let family):
            "chosen from cpuid: \(BLASCoreSelection.coreTypeVariable)=\(family.coreType) set by membrane before it re-executed itself"
        case .openBLAS: "OpenBLAS's own detection"
        }
    }
}
