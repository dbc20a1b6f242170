import CMPI
import CMPIShim

/// Process-wide MPI state: start-up, shut-down and library facts.
///
/// Membrane initialises MPI with `MPI_THREAD_FUNNELED`: any thread may compute, but every MPI
/// call must come from the thread that called ``initialize(threadLevel:)`` (the main thread).
/// After ``initialize(threadLevel:)``, errors on `MPI_COMM_WORLD` and `MPI_COMM_SELF` are
/// returned (`MPI_ERRORS_RETURN`) and surface as thrown ``MPIError`` values instead of aborting.
///
/// A program started without `mpirun` becomes a singleton: a world of one rank.
public enum MPI {
    /// How much threading the MPI library must support (`MPI_THREAD_*`).
    public enum ThreadLevel: Int, Comparable, Sendable, CustomStringConvertible {
        case single, funneled, serialized, multiple

        init(mpiValue: Int32) {
            switch mpiValue {
            case membrane_mpi_thread_multiple(): self = .multiple
            case membrane_mpi_thread_serialized(): self = .serialized
            case membrane_mpi_thread_funneled(): self = .funneled
            default: self = .single
            }
        }

        var mpiValue: Int32 {
            switch self {
            case .single: membrane_mpi_thread_single()
            case .funneled: membrane_mpi_thread_funneled()
            case .serialized: membrane_mpi_thread_serialized()
            case .multiple: membrane_mpi_thread_multiple()
            }
        }

        public static func < (lhs: ThreadLevel, rhs: ThreadLevel) -> Bool { lhs.rawValue < rhs.rawValue }

        public var description: String {
            switch self {
            case .single: "single"
            case .funneled: "funneled"
            case .serialized: "serialized"
            case .multiple: "multiple"
            }
        }
    }

    /// Initialises MPI (`MPI_Init_thread`) and makes world/self errors non-fatal.
    ///
    /// Calling it again while MPI is running returns the current level without re-initialising.
    /// - Returns: the thread level the library provides.
    /// - Throws: ``MPIError`` if MPI was already finalised, if `MPI_Init_thread` fails, or if the
    ///   library provides less than `threadLevel` (MPI then stays initialised).
    @discardableResult
    public static func initialize(threadLevel: ThreadLevel = .funneled) throws(MPIError) -> ThreadLevel {
        if isFinalized {
            throw MPIError(code: -1, operation: "MPI.initialize",
                           message: "MPI was already finalized and cannot be initialized again")
        }
        if isInitialized { return try queryThreadLevel() }
        var provided: Int32 = 0
        try check(membrane_mpi_init_thread(threadLevel.mpiValue, &provided), "MPI_Init_thread")
        try check(MPI_Comm_set_errhandler(membrane_mpi_comm_world(), membrane_mpi_errors_return()),
                  "MPI_Comm_set_errhandler(MPI_COMM_WORLD)")
        try check(MPI_Comm_set_errhandler(membrane_mpi_comm_self(), membrane_mpi_errors_return()),
                  "MPI_Comm_set_errhandler(MPI_COMM_SELF)")
        let level = ThreadLevel(mpiValue: provided)
        if level < threadLevel {
            throw MPIError(code: -1, operation: "MPI.initialize",
                           message: "the MPI library provides thread level '\(level)', '\(threadLevel)' is required")
        }
        return level
    }

    /// Shuts MPI down (`MPI_Finalize`). Does nothing if MPI is not running.
    public static func finalize() throws(MPIError) {
        guard isInitialized, !isFinalized else { return }
        try check(MPI_Finalize(), "MPI_Finalize")
    }

    /// Whether `MPI_Init_thread` has been called (stays true after finalisation, as in MPI).
    public static var isInitialized: Bool {
        var flag: Int32 = 0
        MPI_Initialized(&flag)
        return flag != 0
    }

    /// Whether `MPI_Finalize` has been called.
    public static var isFinalized: Bool {
        var flag: Int32 = 0
        MPI_Finalized(&flag)
        return flag != 0
    }

    /// Whether MPI calls can be made now: initialised and not yet finalised.
    public static var isRunning: Bool { isInitialized && !isFinalized }

    /// The thread level of the running library (`MPI_Query_thread`).
    public static func queryThreadLevel() throws(MPIError) -> ThreadLevel {
        var provided: Int32 = 0
        try check(MPI_Query_thread(&provided), "MPI_Query_thread")
        return ThreadLevel(mpiValue: provided)
    }

    /// The implementation's version text (`MPI_Get_library_version`), e.g.
    /// "Open MPI v4.1.4, package: Debian OpenMPI, ...". Callable before initialisation.
    public static var libraryVersion: String {
        let capacity = Int(membrane_mpi_max_library_version_string()) + 1
        var buffer = [CChar](repeating: 0, count: capacity)
        var length: Int32 = 0
        let rc = buffer.withUnsafeMutableBufferPointer { MPI_Get_library_version($0.baseAddress, &length) }
        guard rc == membrane_mpi_success() else { return "unknown" }
        let bytes = buffer.prefix(max(0, min(Int(length), capacity - 1))).map { UInt8(bitPattern: $0) }
        var text = String(decoding: bytes, as: UTF8.self)
        while let last = text.last, last.isWhitespace || last == "\0" { text.removeLast() }
        return text
    }

    /// The MPI standard version the library implements (`MPI_Get_version`), e.g. (3, 1).
    public static var standardVersion: (major: Int, minor: Int) {
        var major: Int32 = 0
        var minor: Int32 = 0
        MPI_Get_version(&major, &minor)
        return (Int(major), Int(minor))
    }

    /// The library's text for an MPI error code (`MPI_Error_string`).
    public static func errorString(_ code: Int32) -> String {
        let capacity = Int(membrane_mpi_max_error_string()) + 1
        var buffer = [CChar](repeating: 0, count: capacity)
        let rc = buffer.withUnsafeMutableBufferPointer {
            membrane_mpi_error_string(code, $0.baseAddress, Int32(capacity))
        }
        guard rc == membrane_mpi_success() else { return "unknown MPI error \(code)" }
        return String(decoding: buffer.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }

    /// Seconds since an arbitrary point in the past (`MPI_Wtime`).
    public static func wallTime() -> Double { MPI_Wtime() }

    /// The name of this processor (`MPI_Get_processor_name`), usually the host name.
    public static func processorName() throws(MPIError) -> String {
        var buffer = [CChar](repeating: 0, count: Int(membrane_mpi_max_processor_name()) + 1)
        var length: Int32 = 0
        try check(buffer.withUnsafeMutableBufferPointer { MPI_Get_processor_name($0.baseAddress, &length) },
                  "MPI_Get_processor_name")
        return String(decoding: buffer.prefix(Int(length)).map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }
}
