import CMPI
import CMPIShim

extension Communicator {
    /// Whether a message is waiting (`MPI_Iprobe`), without blocking and without receiving it.
    ///
    /// Blocking receives in Open MPI spin on a core while they wait; a rank that mostly waits
    /// (a coordinator, an idle worker) polls with this and sleeps in between instead.
    /// - Parameters:
    ///   - source: the sender's rank, or `nil` for any sender.
    ///   - tag: the tag to match, or `nil` for any tag.
    /// - Returns: the sender and tag of the first matching message, or `nil` if none is waiting.
    public func probe(from source: Int? = nil, tag: Int? = nil) throws(MPIError) -> (source: Int, tag: Int)? {
        let mpiSource = source.map { Int32(clamping: $0) } ?? membrane_mpi_any_source()
        let mpiTag = tag.map { Int32(clamping: $0) } ?? membrane_mpi_any_tag()
        var flag: Int32 = 0
        var status = MPI_Status()
        try check(MPI_Iprobe(mpiSource, mpiTag, handle, &flag, &status), "MPI_Iprobe")
        guard flag != 0 else { return nil }
        return (Int(membrane_mpi_status_source(&status)), Int(membrane_mpi_status_tag(&status)))
    }
}
