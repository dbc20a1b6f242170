import ControlSocket
import Distributed
import Foundation
import Kernels
import Logging
import Membranes
import StableDiffusion

/// `membrane catalog run`: the whole distributed run, on every rank of `mpirun -np N`.
public enum CatalogRun {
    /// Exit codes of a catalog run (also those of `mpirun`, which passes on the first non-zero one).
    public enum ExitCode {
        /// Every job is in the library.
        public static let success: Int32 = 0
        /// An unexpected failure (MPI, file system), or a job stopped by a non-finite loss or
        /// gradient (its last checkpoint kept); details in the log.
        public static let failure: Int32 = 1
        /// Bad catalog, missing model, bad options or too few ranks; nothing was written.
        public static let usage: Int32 = 2
        /// Another run holds the library's lock; nothing was changed.
        public static let busy: Int32 = 3
        /// Finished, but some jobs were cancelled (their checkpoints are kept).
        public static let incomplete: Int32 = 5
        /// A worker rank training a job was silent for `--heartbeat-timeout` seconds (its host
        /// died, hung or lost its network): the coordinator wrote every running job's latest
        /// state as its checkpoint and ended the job with `MPI_Abort`; re-run to resume.
        public static let lostRank: Int32 = 4
        /// Finished, but some membranes missed their evaluation gate: they stay in
        /// CONCEPT/candidate/ with their reports and are not published.
        public static let gateFailed: Int32 = 6
        /// Stopped by SIGTERM, SIGINT or SIGUSR1 after checkpointing; re-run to resume.
        public static let interrupted: Int32 = 143
    }

    /// Options of a run.
    public struct Options: Sendable {
        public var catalog: URL
        public var library: URL
        /// Fixed group size, or `nil` for the automatic policy (see ``GroupPlan``).
        public var groupSize: Int?
        /// Control endpoint: `nil` (ipc socket in the library), `tcp:PORT` (127.0.0.1) or
        /// `tcp:HOST:PORT` (a given interface, `*` for all).
        public var control: String?
        /// Seconds of silence after which a rank is reported; a silent rank of a group that is
        /// training a job ends the run with ``ExitCode/lostRank``.
        public var heartbeatTimeout: Double = 600
        /// Threads per worker rank, or `nil` for the node's cores shared among its workers.
        public var threads: Int?

        public init(catalog: URL, library: URL) {
            self.catalog = catalog
            self.library = library
        }
    }

    /// What rank 0 tells every rank before the work starts.
    struct Plan: Codable {
        var code: Int32
        var groupSize = 1
        var catalog = ""
    }

    /// Runs this rank's part; returns the process exit code. Initializes and finalizes MPI.
    public static func main(_ options: Options) -> Int32 {
        do {
            try MPI.initialize()
        } catch {
            Logger(label: "catalog").critical("\(error)")
            return ExitCode.failure
        }
        let stopSignal = StopSignal()
        let world = Communicator.world
        var logger = Logger(label: world.rank == 0 ? "coordinator" : "worker")
        logger[metadataKey: "rank"] = "\(world.rank)"
        if let threads = options.threads { setThreadBudget(threads) }
        let code: Int32
        do {
            code = try run(options, world: world, stopSignal: stopSignal, logger: logger)
        } catch {
            logger.critical("\(error)")
            world.abort(code: ExitCode.failure)
        }
        // The lost rank may never answer again: only MPI_Abort makes mpirun end every rank.
        if code == ExitCode.lostRank && world.rank == 0 { world.abort(code: code) }
        try? MPI.finalize()
        return code
    }

    static func run(_ options: Options, world: Communicator, stopSignal: StopSignal, logger: Logger) throws -> Int32 {
        let rank = world.rank
        var prepared: Prepared?
        // However the run ends (but a kill), the control socket goes and the lock is released.
        defer {
            prepared?.control.close()
            prepared?.lock.release()
        }
        var plan = Plan(code: ExitCode.usage)
        if rank == 0 {
            do {
                let p = try prepare(options, workers: world.size - 1)
                prepared = p
                plan = Plan(code: 0, groupSize: p.groupSize, catalog: options.catalog.path)
            } catch let error as PrepareError {
                logger.error("\(error.message)")
                plan.code = error.code
            } catch {
                logger.error("\(error)")
                plan.code = ExitCode.failure
            }
        }
        let bytes = try world.broadcast(rank == 0 ? try JSONEncoder().encode(plan) : Data(), root: 0)
        plan = try JSONDecoder().decode(Plan.self, from: bytes)
        guard plan.code == 0 else { return rank == 0 ? plan.code : 0 }
        let groups = GroupPlan.groups(workers: world.size - 1, groupSize: plan.groupSize)
        let groupIndex = groups.firstIndex { $0.contains(rank) }
        let split = try world.split(color: groupIndex, key: rank)
        let names = try world.gather(Data(((try? MPI.processorName()) ?? "?").utf8), root: 0)
        if rank == 0, let p = prepared {
            let hosts = (names ?? []).map { String(decoding: $0, as: UTF8.self) }
            for note in p.recovered { logger.warning("\(note)") }
            let coordinator = Coordinator(world: world, prepared: p, groups: groups, stopSignal: stopSignal,
                                          heartbeatTimeout: options.heartbeatTimeout, hosts: hosts, logger: logger)
            do { return try coordinator.run() } catch {
                coordinator.writeStatus(force: true, final: .failed)
                throw error
            }
        }
        guard let group = split else { throw RunError("rank \(rank) got no worker group") }
        // Workers: the same catalog and model, from the (shared) file system.
        let catalog = try Catalog.load(URL(fileURLWithPath: plan.catalog))
        let model = try StableDiffusionModel(source: catalog.modelSource)
        var jobs: [String: Job] = [:]
        for job in Job.jobs(of: catalog, baseFingerprint: model.unetFingerprint) { jobs[job.name] = job }
        let worker = Worker(world: world, group: group, model: model, jobs: jobs, stopSignal: stopSignal, logger: logger)
        return try worker.run()
    }

    /// Rank 0's preparation, before anything is sent to the workers.
    struct Prepared {
        var catalog: Catalog
        var library: Library
        var lock: LibraryLock
        var model: StableDiffusionModel
        var jobs: [Job]
        var index: LibraryIndex
        /// Names of the jobs whose membrane is already in the library with the same hash.
        var complete: Set<String>
        var groupSize: Int
        var control: ControlServer
        /// What was cleaned up after an earlier run that ended without doing so.
        var recovered: [String]
    }

    struct PrepareError: Error {
        var code: Int32
        var message: String
    }

    /// Checks the catalog and model (nothing written yet), then locks the library, cleans up after
    /// an earlier run that ended without doing so, reads its index and binds the control socket.
    static func prepare(_ options: Options, workers: Int) throws -> Prepared {
        func usage(_ text: String) -> PrepareError { PrepareError(code: ExitCode.usage, message: text) }
        let catalog: Catalog
        do { catalog = try Catalog.load(options.catalog) } catch { throw usage("\(error)") }
        let model: StableDiffusionModel
        do { model = try StableDiffusionModel(source: catalog.modelSource) } catch {
            throw usage("\(options.catalog.path): 'model' \(catalog.model.path) cannot be loaded: \(error)")
        }
        do {
            for concept in catalog.concepts {
                try concept.config.check(model: model, source: "\(options.catalog.path), concept '\(concept.name)'")
            }
        } catch { throw usage("\(error)") }
        guard workers >= 1 else {
            throw usage("a catalog run needs at least 2 ranks (rank 0 coordinates, the others train): mpirun -np N membrane catalog run ... with N >= 2")
        }
        if let g = options.groupSize, g < 1 { throw usage("--group-size must be at least 1") }
        let endpoint: String
        do { endpoint = try controlEndpoint(options.control, library: Library(directory: options.library)) } catch { throw usage("\(error)") }
        let library = Library(directory: options.library)
        let lock: LibraryLock
        let recovered: [String]
        do {
            try library.create()
            lock = try LibraryLock(library: library)
            recovered = try library.recoverStaleRun(previousOwner: lock.previousOwner)
        } catch let error as LibraryBusyError {
            throw PrepareError(code: ExitCode.busy, message: "\(error)")
        } catch {
            throw PrepareError(code: ExitCode.failure, message: "\(error)")
        }
        let jobs = Job.jobs(of: catalog, baseFingerprint: model.unetFingerprint)
        let index: LibraryIndex
        do { index = try library.readIndex() } catch { throw PrepareError(code: ExitCode.failure, message: "\(error)") }
        let complete = Set(jobs.filter { library.isComplete($0, index: index) }.map(\.name))
        let pending = jobs.filter { !complete.contains($0.name) }
        let groupSize = GroupPlan(groupSize: options.groupSize).groupSize(workers: workers, batchSizes: pending.map(\.config.batchSize))
        let control: ControlServer
        do { control = try ControlServer(endpoint: endpoint, library: library) } catch {
            throw PrepareError(code: ExitCode.failure, message: "cannot open the control socket \(endpoint): \(error)")
        }
        return Prepared(catalog: catalog, library: library, lock: lock, model: model, jobs: jobs, index: index, complete: complete,
                        groupSize: groupSize, control: control, recovered: recovered)
    }

    /// The control endpoint for `--control`: default ipc in the library; `tcp:PORT` binds
    /// 127.0.0.1 only; `tcp:HOST:PORT` binds the given address (`*`: every interface).
    public static func controlEndpoint(_ option: String?, library: Library) throws -> String {
        guard let option, !option.isEmpty, option != "ipc" else { return library.defaultControlEndpoint }
        if option.hasPrefix("ipc://") || option.hasPrefix("tcp://") { return option }
        let parts = option.split(separator: ":", omittingEmptySubsequences: false).map(String.init)
        if parts.count == 2, parts[0] == "tcp", let port = Int(parts[1]), port > 0, port < 65536 { return "tcp://127.0.0.1:\(port)" }
        if parts.count == 3, parts[0] == "tcp", !parts[1].isEmpty, let port = Int(parts[2]), port > 0, port < 65536 {
            return "tcp://\(parts[1]):\(port)"
        }
        throw CatalogError(file: "--control", key: "", problem: "'\(option)' is not ipc, tcp:PORT or tcp:HOST:PORT")
    }
}
