import CMPI
import CMPIShim
import Foundation

/// A group of MPI ranks that communicate (an `MPI_Comm` handle).
///
/// All operations are collective over the communicator unless noted otherwise: every rank must
/// call them in the same order. Calls must come from the thread that initialised MPI (see
/// ``MPI``), and MPI must be running.
public struct Communicator: @unchecked Sendable {
    /// The underlying `MPI_Comm`.
    public let handle: MPI_Comm

    /// Wraps an existing `MPI_Comm` handle.
    public init(handle: MPI_Comm) {
        self.handle = handle
    }

    /// All ranks of the job (`MPI_COMM_WORLD`).
    public static var world: Communicator { Communicator(handle: membrane_mpi_comm_world()) }

    /// Just this rank (`MPI_COMM_SELF`).
    public static var selfOnly: Communicator { Communicator(handle: membrane_mpi_comm_self()) }

    /// This process's rank in the communicator, `0..<size`.
    public var rank: Int {
        Self.requireRunning("MPI_Comm_rank")
        var value: Int32 = 0
        Self.require(MPI_Comm_rank(handle, &value), "MPI_Comm_rank")
        return Int(value)
    }

    /// The number of ranks in the communicator.
    public var size: Int {
        Self.requireRunning("MPI_Comm_size")
        var value: Int32 = 0
        Self.require(MPI_Comm_size(handle, &value), "MPI_Comm_size")
        return Int(value)
    }

    /// Partitions the ranks (`MPI_Comm_split`). Collective.
    ///
    /// Ranks passing the same `color` end up in the same new communicator, ordered by `key`
    /// (ties broken by the old rank). A rank passing `nil` takes part but gets no communicator.
    /// Release the result with ``free()`` when done.
    public func split(color: Int?, key: Int = 0) throws(MPIError) -> Communicator? {
        let mpiColor: Int32
        if let color {
            guard color >= 0, color <= Int(Int32.max) else {
                throw MPIError(code: -1, operation: "Communicator.split",
                               message: "color must be non-negative and fit in Int32, got \(color)")
            }
            mpiColor = Int32(color)
        } else {
            mpiColor = membrane_mpi_undefined()
        }
        var result: MPI_Comm? = membrane_mpi_comm_null()
        try check(MPI_Comm_split(handle, mpiColor, try Self.int32(key, "key"), &result), "MPI_Comm_split")
        guard let result, result != membrane_mpi_comm_null() else { return nil }
        return Communicator(handle: result)
    }

    /// A copy with its own message space (`MPI_Comm_dup`). Collective. Release with ``free()``.
    public func duplicate() throws(MPIError) -> Communicator {
        var result: MPI_Comm? = membrane_mpi_comm_null()
        try check(MPI_Comm_dup(handle, &result), "MPI_Comm_dup")
        guard let result else {
            throw MPIError(code: -1, operation: "MPI_Comm_dup", message: "returned a null communicator")
        }
        return Communicator(handle: result)
    }

    /// Releases a communicator made by ``split(color:key:)`` or ``duplicate()`` (`MPI_Comm_free`).
    /// Never call it on ``world`` or ``selfOnly``; do not use the communicator afterwards.
    public func free() throws(MPIError) {
        var comm: MPI_Comm? = handle
        try check(MPI_Comm_free(&comm), "MPI_Comm_free")
    }

    /// Waits until every rank has reached the barrier (`MPI_Barrier`).
    public func barrier() throws(MPIError) {
        try check(MPI_Barrier(handle), "MPI_Barrier")
    }

    // MARK: Reductions

    /// Replaces `buffer` on every rank by the element-wise sum over all ranks (`MPI_Allreduce`
    /// with `MPI_IN_PLACE`). All ranks must pass the same count.
    public func allreduceSum(inPlace buffer: UnsafeMutableBufferPointer<Float>) throws(MPIError) {
        guard let base = buffer.baseAddress else { return }
        var offset = 0
        while offset < buffer.count {
            let chunk = min(buffer.count - offset, Int(Int32.max))
            try check(membrane_mpi_allreduce_float_sum_inplace(base + offset, Int32(chunk), handle),
                      "MPI_Allreduce(float, sum)")
            offset += chunk
        }
    }

    /// Replaces `values` on every rank by the element-wise sum over all ranks.
    public func allreduceSum(inPlace values: inout [Float]) throws(MPIError) {
        try values.withUnsafeMutableBufferPointer { (buffer) throws(MPIError) in
            try allreduceSum(inPlace: buffer)
        }
    }

    /// The element-wise sum of `values` over all ranks.
    public func allreduceSum(_ values: [Float]) throws(MPIError) -> [Float] {
        var result = values
        try allreduceSum(inPlace: &result)
        return result
    }

    /// The element-wise sum of `values` over all ranks, in double precision.
    public func allreduceSum(_ values: [Double]) throws(MPIError) -> [Double] {
        var result = values
        let count = try Self.int32(result.count, "count")
        let rc = result.withUnsafeMutableBufferPointer {
            membrane_mpi_allreduce_double_sum_inplace($0.baseAddress, count, handle)
        }
        try check(rc, "MPI_Allreduce(double, sum)")
        return result
    }

    /// A reduction operation for integer all-reduce.
    public enum Operation: Sendable {
        case sum, max, min

        var handle: MPI_Op {
            switch self {
            case .sum: membrane_mpi_op_sum()
            case .max: membrane_mpi_op_max()
            case .min: membrane_mpi_op_min()
            }
        }
    }

    /// Combines one integer from every rank with `operation`; every rank gets the result.
    public func allreduce(_ value: Int, _ operation: Operation) throws(MPIError) -> Int {
        var buffer = Int64(value)
        try check(membrane_mpi_allreduce_int64_inplace(&buffer, 1, operation.handle, handle),
                  "MPI_Allreduce(int64)")
        return Int(buffer)
    }

    // MARK: Broadcast

    /// Sends `bytes` from `root` to every rank (`MPI_Bcast`). Collective.
    ///
    /// Only the root's `bytes` matter; other ranks may pass anything (usually empty). Every rank
    /// returns the root's bytes. Sizes need not be known in advance.
    public func broadcast(_ bytes: [UInt8], root: Int = 0) throws(MPIError) -> [UInt8] {
        let mpiRoot = try checkedRank(root, "root")
        var length = Int64(rank == root ? bytes.count : 0)
        try check(MPI_Bcast(&length, 1, membrane_mpi_int64(), mpiRoot, handle), "MPI_Bcast(length)")
        var buffer = rank == root ? bytes : [UInt8](repeating: 0, count: Int(length))
        let rc = buffer.withUnsafeMutableBytes { raw -> Int32 in
            guard let base = raw.baseAddress else { return membrane_mpi_success() }
            var offset = 0
            while offset < raw.count {
                let chunk = min(raw.count - offset, Int(Int32.max))
                let rc = MPI_Bcast(base + offset, Int32(chunk), membrane_mpi_byte(), mpiRoot, handle)
                if rc != membrane_mpi_success() { return rc }
                offset += chunk
            }
            return membrane_mpi_success()
        }
        try check(rc, "MPI_Bcast(bytes)")
        return buffer
    }

    /// Sends `data` from `root` to every rank; see ``broadcast(_:root:)-([UInt8],_)``.
    public func broadcast(_ data: Data, root: Int = 0) throws(MPIError) -> Data {
        Data(try broadcast([UInt8](data), root: root))
    }

    // MARK: Point to point

    /// A message received by ``receive(from:tag:)``.
    public struct Message: Sendable {
        /// The payload.
        public var data: Data
        /// The sender's rank.
        public var source: Int
        /// The message tag.
        public var tag: Int
    }

    /// Sends `data` to rank `destination` with `tag` (`MPI_Send`). Blocks until the buffer can be
    /// reused; for large messages that means until the receiver has posted its receive.
    public func send(_ data: Data, to destination: Int, tag: Int = 0) throws(MPIError) {
        let dest = try checkedRank(destination, "destination")
        let mpiTag = try Self.int32(tag, "tag")
        let count = try Self.int32(data.count, "message size")
        let rc = data.withUnsafeBytes { raw in
            MPI_Send(raw.baseAddress, count, membrane_mpi_byte(), dest, mpiTag, handle)
        }
        try check(rc, "MPI_Send")
    }

    /// Receives one message of any size (`MPI_Probe` + `MPI_Recv`).
    /// - Parameters:
    ///   - source: the sender's rank, or `nil` for any sender.
    ///   - tag: the tag to match, or `nil` for any tag.
    public func receive(from source: Int? = nil, tag: Int? = nil) throws(MPIError) -> Message {
        let mpiSource = try source.map { (value: Int) throws(MPIError) -> Int32 in
            try checkedRank(value, "source")
        } ?? membrane_mpi_any_source()
        let mpiTag = try tag.map { (value: Int) throws(MPIError) -> Int32 in
            try Self.int32(value, "tag")
        } ?? membrane_mpi_any_tag()
        var status = MPI_Status()
        try check(MPI_Probe(mpiSource, mpiTag, handle, &status), "MPI_Probe")
        let count = membrane_mpi_status_byte_count(&status)
        guard count >= 0 else {
            throw MPIError(code: -1, operation: "MPI_Probe", message: "message size is not a whole number of bytes")
        }
        let from = membrane_mpi_status_source(&status)
        let matchedTag = membrane_mpi_status_tag(&status)
        var buffer = [UInt8](repeating: 0, count: Int(count))
        let rc = buffer.withUnsafeMutableBytes { raw in
            MPI_Recv(raw.baseAddress, count, membrane_mpi_byte(), from, matchedTag, handle, &status)
        }
        try check(rc, "MPI_Recv")
        return Message(data: Data(buffer), source: Int(from), tag: Int(matchedTag))
    }

    // MARK: Gather

    /// Collects one small blob from every rank at `root` (`MPI_Gather` + `MPI_Gatherv`).
    ///
    /// Blobs may differ in size; their total must stay under 2 GiB.
    /// - Returns: on the root, the blobs ordered by rank; on other ranks, `nil`.
    public func gather(_ data: Data, root: Int = 0) throws(MPIError) -> [Data]? {
        let mpiRoot = try checkedRank(root, "root")
        let ranks = size
        let isRoot = rank == root
        var myLength = try Self.int32(data.count, "blob size")
        var lengths = [Int32](repeating: 0, count: isRoot ? ranks : 0)
        let lengthRC = lengths.withUnsafeMutableBufferPointer { out in
            MPI_Gather(&myLength, 1, membrane_mpi_int(), out.baseAddress, 1, membrane_mpi_int(), mpiRoot, handle)
        }
        try check(lengthRC, "MPI_Gather(lengths)")

        var displacements = [Int32](repeating: 0, count: lengths.count)
        var total = 0
        for (index, length) in lengths.enumerated() {
            displacements[index] = Int32(truncatingIfNeeded: total)
            total += Int(length)
        }
        if isRoot && total > Int(Int32.max) {
            throw MPIError(code: -1, operation: "Communicator.gather",
                           message: "gathered blobs total \(total) bytes, more than Int32.max")
        }
        var received = [UInt8](repeating: 0, count: total)
        let bytes = [UInt8](data)
        let rc = bytes.withUnsafeBytes { send in
            received.withUnsafeMutableBytes { recv in
                lengths.withUnsafeBufferPointer { counts in
                    displacements.withUnsafeBufferPointer { displs in
                        MPI_Gatherv(send.baseAddress, myLength, membrane_mpi_byte(),
                                    recv.baseAddress, counts.baseAddress, displs.baseAddress,
                                    membrane_mpi_byte(), mpiRoot, handle)
                    }
                }
            }
        }
        try check(rc, "MPI_Gatherv(bytes)")
        guard isRoot else { return nil }
        return lengths.indices.map { index in
            let start = Int(displacements[index])
            return Data(received[start..<(start + Int(lengths[index]))])
        }
    }

    // MARK: Abort

    /// Ends every process of the job with `code` (`MPI_Abort`). Never returns.
    public func abort(code: Int32 = 1) -> Never {
        if MPI.isRunning {
            MPI_Abort(handle, code)
        }
        exit(code)
    }

    // MARK: Helpers

    private func checkedRank(_ value: Int, _ name: String) throws(MPIError) -> Int32 {
        let ranks = size
        guard value >= 0, value < ranks else {
            throw MPIError(code: -1, operation: "Communicator",
                           message: "\(name) rank \(value) is outside 0..<\(ranks)")
        }
        return Int32(value)
    }

    private static func int32(_ value: Int, _ name: String) throws(MPIError) -> Int32 {
        guard let result = Int32(exactly: value) else {
            throw MPIError(code: -1, operation: "Communicator", message: "\(name) \(value) does not fit in Int32")
        }
        return result
    }

    private static func requireRunning(_ operation: String) {
        guard MPI.isRunning else {
            preconditionFailure("\(operation): MPI is not running; call MPI.initialize() first")
        }
    }

    private static func require(_ code: Int32, _ operation: String) {
        if code != membrane_mpi_success() {
            preconditionFailure("\(operation) failed: \(MPI.errorString(code))")
        }
    }
}
