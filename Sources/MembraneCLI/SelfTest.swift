import ArgumentParser
import Distributed
import Foundation

/// Hidden commands that exercise the system libraries for the test suite.
struct SelfTest: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "selftest",
        abstract: "Checks used by the test suite.",
        shouldDisplay: false,
        subcommands: [MPICheck.self]
    )
}

extension SelfTest {
    /// `membrane selftest mpi`: run under `mpirun -np N`; every rank prints one JSON line.
    struct MPICheck: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "mpi",
            abstract: "Initializes MPI, all-reduces rank + 1 and prints one JSON line per rank."
        )

        /// One rank's report.
        struct Report: Codable {
            var rank: Int
            var size: Int
            /// Sum of rank + 1 over all ranks (float all-reduce).
            var sum: Int
            /// The text rank 0 broadcast.
            var broadcast: String
            /// On rank 0, the texts gathered from every rank, in rank order.
            var gathered: [String]?
            /// The text received from a neighbour with send/receive (rank 0 <-> rank 1).
            var message: String?
        }

        func run() throws {
            do {
                try MPI.initialize()
                let world = Communicator.world
                let rank = world.rank
                let size = world.size
                let sum = try world.allreduceSum([Float(rank + 1)])[0]
                let root = Data("hello from rank 0".utf8)
                let broadcast = try world.broadcast(rank == 0 ? root : Data(), root: 0)
                let gathered = try world.gather(Data("rank \(rank)".utf8), root: 0)
                var message: String?
                if size > 1 && rank < 2 {
                    let peer = 1 - rank
                    if rank == 0 {
                        try world.send(Data("ping".utf8), to: peer, tag: 7)
                        message = text(try world.receive(from: peer, tag: 8).data)
                    } else {
                        message = text(try world.receive(from: peer, tag: 7).data)
                        try world.send(Data("pong".utf8), to: peer, tag: 8)
                    }
                }
                try world.barrier()
                let report = Report(rank: rank, size: size, sum: Int(sum), broadcast: text(broadcast),
                                    gathered: gathered?.map(text), message: message)
                let encoder = JSONEncoder()
                encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
                print(String(decoding: try encoder.encode(report), as: UTF8.self))
                fflush(nil)
                try MPI.finalize()
            } catch let error as MPIError {
                FileHandle.standardError.write(Data("selftest mpi: \(error)\n".utf8))
                throw ExitCode(2)
            }
        }

        private func text(_ data: Data) -> String { String(decoding: data, as: UTF8.self) }
    }
}
