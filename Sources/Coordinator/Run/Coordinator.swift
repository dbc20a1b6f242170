import AtomicFiles
import Distributed
import Foundation
import Logging
import Reporting
import Membranes
import StableDiffusion

/// World rank 0 of a catalog run: hands jobs to worker groups, keeps each running job's latest
/// state, and is the only process that writes the library (checkpoints, membranes, index,
/// status). It also answers `membrane status` and `membrane cancel` on the control socket.
///
/// It never blocks in MPI: it polls for messages (`MPI_Iprobe`) and the control socket in turn,
/// so it costs no core while the workers compute.
final class Coordinator {
    /// A job's progress as the coordinator sees it.
    struct Entry {
        let job: Job
        var state: JobState
        var iteration = 0
        var group: Int?
        /// The latest state received (or read from the checkpoint).
        var latest: JobCheckpoint?
        var savedIteration = -1
        var runStart: Date?
        var runStartIteration = 0
        var loss: LossParts?
    }

    let world: Communicator
    let library: Library
    let catalog: Catalog
    let model: StableDiffusionModel
    let groups: [[Int]]
    let groupSize: Int
    let stopSignal: StopSignal
    let control: ControlServer
    let endpoint: String
    let heartbeatTimeout: Double
    /// Every world rank's host name (`MPI_Get_processor_name`), by rank.
    let hosts: [String]
    let logger: Logger
    var entries: [Entry]
    var index: LibraryIndex
    var groupJob: [Int: Int] = [:]
    var groupsDone = Set<Int>()
    var lastHeartbeat: [Int: Date] = [:]
    var reportedSilent = Set<Int>()
    var stopping: Date?
    let started = Date()
    var lastStatusWrite = Date.distantPast
    /// The run's progress over the iterations of the jobs it trains.
    var progress: ProgressReporter?

    /// The coordinator of a prepared run (catalog read, library locked, control socket bound).
    init(world: Communicator, prepared p: CatalogRun.Prepared, groups: [[Int]], stopSignal: StopSignal, heartbeatTimeout: Double,
         hosts: [String], logger: Logger) {
        self.world = world
        library = p.library
        catalog = p.catalog
        model = p.model
        self.groups = groups
        groupSize = p.groupSize
        self.stopSignal = stopSignal
        control = p.control
        endpoint = p.control.endpoint
        self.heartbeatTimeout = heartbeatTimeout
        self.hosts = hosts
        self.logger = logger
        index = p.index
        entries = p.jobs.map { Entry(job: $0, state: p.complete.contains($0.name) ? .skipped : .pending) }
        for k in entries.indices where entries[k].state == .skipped { entries[k].iteration = entries[k].job.config.iterations }
        for k in entries.indices where entries[k].state == .pending {
            let url = library.checkpointURL(entries[k].job.name)
            guard FileManager.default.fileExists(atPath: url.path) else { continue }
            if let cp = try? JobCheckpoint.read(from: url), cp.jobHash == entries[k].job.hash {
                entries[k].latest = cp
                entries[k].iteration = cp.iteration
                entries[k].savedIteration = cp.iteration
                logger.info("\(cp.concept): resuming from its checkpoint at iteration \(cp.iteration)")
            } else {
                logger.info("\(entries[k].job.name): checkpoint belongs to another config or is damaged; starting over")
            }
        }
        let now = Date()
        for g in groups { for r in g { lastHeartbeat[r] = now } }
    }

    /// Runs until every job is finished, cancelled or interrupted; returns the exit code.
    func run() throws -> Int32 {
        let skipped = entries.filter { $0.state == .skipped }.map(\.job.name)
        if !skipped.isEmpty { logger.info("already in the library (same hash): \(skipped.joined(separator: ", "))") }
        logger.info("ranks on hosts: \(hosts.enumerated().map { "\($0.offset) \($0.element)" }.joined(separator: ", "))")
        writeStatus(force: true)
        let trained = entries.filter { $0.state != .skipped }
        progress = ProgressReporter(label: "catalog", total: trained.reduce(0) { $0 + $1.job.config.iterations },
                                    initial: trained.reduce(0) { $0 + $1.iteration })
        while true {
            try serveControl(wait: .milliseconds(20))
            try receiveMessages()
            if let number = stopSignal.received, stopping == nil { beginStopping("\(StopSignal.name(number)) received") }
            try dispatch()
            if let lost = checkHeartbeats() { return abandon(lost: lost) }
            writeStatus(force: false)
            if groupsDone.count == groups.count { break }
            if let since = stopping, Date().timeIntervalSince(since) > 25 {
                logger.warning("stopping: groups still busy after 25 s; their last checkpoints stay")
                break
            }
        }
        let code: Int32
        if stopping != nil {
            code = StopSignal.exitCode
        } else if entries.contains(where: { $0.state == .failed }) {
            code = CatalogRun.ExitCode.failure
        } else if entries.contains(where: { $0.state == .cancelled }) {
            code = CatalogRun.ExitCode.incomplete
        } else if entries.contains(where: { $0.state == .heldBack || ($0.state == .skipped && index.entries[$0.job.name]?.evaluation?.published == false) }) {
            code = CatalogRun.ExitCode.gateFailed
        } else {
            code = 0
        }
        progress?.finish()
        writeReport(exitCode: code)
        writeStatus(force: true, final: RunState.final(exitCode: code))
        for g in groups { for r in g { try send(.finish(exitCode: code), to: r) } }
        let done = entries.filter { $0.state == .done }.count
        logger.info("finished: \(done) trained, \(skipped.count) already in the library, exit \(code)")
        return code
    }

    // MARK: Jobs

    /// Gives the next pending job to every free group, or tells it there is none.
    func dispatch() throws {
        for (g, ranks) in groups.enumerated() where groupJob[g] == nil && !groupsDone.contains(g) {
            let next = stopping == nil ? entries.firstIndex(where: { $0.state == .pending }) : nil
            guard let k = next else {
                for r in ranks { try send(.noMoreJobs, to: r) }
                groupsDone.insert(g)
                continue
            }
            let job = entries[k].job
            let assignment = Message.assign(job: job.name, hash: job.hash, resume: entries[k].latest?.training)
            // An idle rank beats every 10 s: its silence is counted from the assignment on.
            for r in ranks {
                try send(assignment, to: r)
                lastHeartbeat[r] = Date()
            }
            entries[k].state = .running
            entries[k].group = g
            entries[k].runStart = Date()
            entries[k].runStartIteration = entries[k].iteration
            groupJob[g] = k
            logger.info("\(entries[k].job.name): started on ranks \(ranks.map(String.init).joined(separator: ",")) at iteration \(entries[k].iteration)/\(entries[k].job.config.iterations)")
        }
    }

    /// Handles every waiting worker message.
    func receiveMessages() throws {
        while let (source, tag) = try world.probe(from: nil, tag: nil) {
            let message = try world.receive(from: source, tag: tag)
            lastHeartbeat[source] = Date()
            if reportedSilent.remove(source) != nil { logger.info("rank \(source) is heard from again") }
            guard tag == Tag.progress.rawValue || tag == Tag.evaluated.rawValue else { continue }
            switch try Message(decoding: message.data, tag: tag) {
            case .evaluated(let job, _, let seconds, let ranks, let results):
                guard let k = entries.firstIndex(where: { $0.job.name == job }) else { continue }
                try evaluated(k, seconds: seconds, ranks: ranks, results: results)
            case .progress(let state, let end):
                guard let k = entries.firstIndex(where: { $0.job.name == state.concept }) else { continue }
                try progress(k, state, end: end)
            case .failed(let job, _, let reason):
                guard let k = entries.firstIndex(where: { $0.job.name == job }) else { continue }
                failed(k, reason: reason)
            default:
                continue
            }
        }
    }

    /// Records a job's state and acts on how its group ended it.
    func progress(_ k: Int, _ state: JobCheckpoint, end: JobEnd) throws {
        entries[k].latest = state
        entries[k].iteration = state.iteration
        entries[k].loss = state.training.loss
        let job = entries[k].job
        defer { updateProgress() }
        switch end {
        case .running:
            if state.iteration % job.checkpointEvery == 0 || stopping != nil { try saveCheckpoint(k) }
            return
        case .completed where entries[k].job.evaluation != nil:
            try writeCandidate(k)
            entries[k].state = .evaluating
            writeStatus(force: true)
            return
        case .completed:
            try finish(k)
            entries[k].state = .done
        case .cancelled:
            try saveCheckpoint(k)
            entries[k].state = .cancelled
            logger.info("\(job.name): cancelled at iteration \(state.iteration); checkpoint kept")
        case .interrupted:
            try saveCheckpoint(k)
            entries[k].state = .interrupted
            logger.info("\(job.name): interrupted at iteration \(state.iteration); checkpoint written")
            if stopping == nil { beginStopping("a worker received a stop signal") }
        }
        if let g = entries[k].group { groupJob[g] = nil }
        entries[k].group = nil
        writeStatus(force: true)
    }

    /// Records that job `k`'s group stopped it on a non-finite loss or gradient: no checkpoint
    /// of the failed state and no membrane are written; the last checkpoint stays.
    func failed(_ k: Int, reason: String) {
        entries[k].state = .failed
        let kept = entries[k].savedIteration >= 0 ? "its checkpoint at iteration \(entries[k].savedIteration) is kept" : "it has no checkpoint"
        logger.error("\(entries[k].job.name): failed: \(reason); \(kept), no membrane written")
        if let g = entries[k].group { groupJob[g] = nil }
        entries[k].group = nil
        updateProgress()
        writeStatus(force: true)
    }

    /// Writes the latest state of job `k` as its checkpoint (if newer than the last one).
    func saveCheckpoint(_ k: Int) throws {
        guard let state = entries[k].latest, state.iteration > entries[k].savedIteration else { return }
        try library.createFolder(entries[k].job.name)
        try state.write(to: library.checkpointURL(entries[k].job.name))
        entries[k].savedIteration = state.iteration
    }

    /// The finished membrane of job `k` from its latest state, with its metadata.
    func finishedMembrane(_ k: Int) throws -> Membrane? {
        guard let state = entries[k].latest else { return nil }
        let job = entries[k].job
        var info = MembraneMetadata.describe(config: job.config, model: model, iterations: state.training.iteration, loss: state.training.loss)
        info["membrane.job_hash"] = job.hash
        info["membrane.concept"] = job.name
        info["membrane.group_size"] = String(groups[entries[k].group ?? 0].count)
        info["membrane.job_format"] = Job.formatVersion
        return try state.training.membrane(model: model, config: job.config, info: info)
    }

    /// The index entry of job `k`'s membrane at `file` (relative to the library).
    func libraryEntry(_ k: Int, targets: [String], file: String, evaluation: EvaluationRecord? = nil) -> LibraryEntry? {
        guard let training = entries[k].latest?.training else { return nil }
        let job = entries[k].job
        return LibraryEntry(
            concept: job.name, targets: targets, hash: job.hash, baseModel: model.directory.lastPathComponent,
            baseFingerprint: job.baseFingerprint, iterations: training.iteration, groupSize: groups[entries[k].group ?? 0].count,
            metrics: .init(erase: training.loss.erase, anchoring: training.loss.anchoring, total: training.loss.total),
            seconds: training.seconds, finished: ISO8601DateFormatter().string(from: Date()), host: ProcessInfo.processInfo.hostName,
            file: file, evaluation: evaluation)
    }

    /// Writes the finished membrane, its index entry, and drops the checkpoint.
    func finish(_ k: Int) throws {
        guard let membrane = try finishedMembrane(k), let training = entries[k].latest?.training else { return }
        let job = entries[k].job
        try library.createFolder(job.name)
        try membrane.write(to: library.membraneURL(job.name))
        index.entries[job.name] = libraryEntry(k, targets: membrane.targets, file: library.relativePath(library.membraneURL(job.name)))
        try library.writeIndex(index)
        AtomicFile.remove(library.checkpointURL(job.name))
        logger.info("\(job.name): done, \(training.iteration) iterations in \(String(format: "%.1f", training.seconds)) s",
                    metadata: ["erase": "\(training.loss.erase)", "anchoring": "\(training.loss.anchoring)"])
    }

    /// Stops the run: checkpoints every running job's latest state at once, then asks the groups
    /// to stop after their current iteration.
    func beginStopping(_ reason: String) {
        stopping = Date()
        logger.info("\(reason): checkpointing and stopping after the current iterations")
        for k in entries.indices where entries[k].state == .running {
            do { try saveCheckpoint(k) } catch { logger.error("\(entries[k].job.name): checkpoint failed: \(error)") }
            if let g = entries[k].group { request(.stop, job: entries[k].job.name, group: g) }
        }
        writeStatus(force: true)
    }

    /// Sends `request` for `job` to the leader of `group`.
    func request(_ request: JobRequest, job: String, group: Int) {
        try? send(.control(job: job, request: request), to: groups[group][0])
    }

    /// Sends a message to world rank `rank`.
    func send(_ message: Message, to rank: Int) throws {
        try world.send(message.encoded(), to: rank, tag: message.tag.rawValue)
    }

    /// Shows the run's iterations so far, with the number of finished jobs.
    func updateProgress() {
        let trained = entries.filter { $0.state != .skipped }
        progress?.update(done: trained.reduce(0) { $0 + $1.iteration },
                         values: [("jobs done", Double(trained.filter { $0.state == .done }.count)),
                                  ("running", Double(trained.filter { $0.state == .running }.count))])
    }
}
