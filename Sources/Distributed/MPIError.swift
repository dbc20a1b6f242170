import CMPI
import CMPIShim

/// A failed MPI call, carrying the library's own description of the error.
public struct MPIError: Error, Equatable, CustomStringConvertible, Sendable {
    /// The MPI error code (`MPI_ERR_*`), or -1 for errors detected by this wrapper.
    public let code: Int32
    /// The MPI function or wrapper operation that failed, e.g. `MPI_Allreduce`.
    public let operation: String
    /// The text from `MPI_Error_string`, or the wrapper's own explanation.
    public let message: String

    public init(code: Int32, operation: String, message: String) {
        self.code = code
        self.operation = operation
        self.message = message
    }

    public var description: String {
        code == -1 ? "\(operation): \(message)" : "\(operation) failed: \(message) (MPI error \(code))"
    }
}

/// Throws an ``MPIError`` describing `code` unless it is `MPI_SUCCESS`.
@inline(__always)
func check(_ code: Int32, _ operation: @autoclosure () -> String) throws(MPIError) {
    if code != membrane_mpi_success() {
        throw MPIError(code: code, operation: operation(), message: MPI.errorString(code))
    }
}
