#if canImport(Glibc)
import Glibc
#endif
import Distributed
import Foundation
import Membranes
import StableDiffusion

/// A worker rank (world rank >= 1): trains the jobs the coordinator gives its group.
///
/// Every rank of a group receives the same assignment (job name and, when resuming, the state),
/// builds the same trainer, and runs ``GroupStep`` iterations. The group's leader (its rank 0)
/// sends the state after every iteration to the coordinator, which writes checkpoints and the
/// finished membrane; workers never write the library. Every rank sends heartbeats after each
/// trajectory unit and while idle.
struct Worker {
    let world: Communicator
    let group: Communicator
    let groupIndex: Int
    let model: StableDiffusionModel
    let jobs: [String: Job]
    let stopSignal: StopSignal

    var isLeader: Bool { group.rank == 0 }

    /// Trains assignments until the coordinator says the run is over; returns the exit code.
    func run() throws -> Int32 {
        while true {
            let message = try waitForCoordinator(tags: [Tag.assign, Tag.finish])
            let packet = try Packet(decoding: message.data)
            if message.tag == Tag.finish { return Int32(packet.header.iteration) }
            guard let name = packet.header.job else { continue }
            guard let job = jobs[name] else {
                throw LibraryError(path: name, problem: "rank \(world.rank) does not know this job (was the catalog changed during the run?)")
            }
            try train(job, assignment: packet)
        }
    }

    /// Trains one job until it completes or is stopped.
    func train(_ job: Job, assignment: Packet) throws {
        let resume = assignment.floats.isEmpty ? nil : assignment.state
        if let resume, resume.jobHash != job.hash {
            throw LibraryError(path: job.name, problem: "rank \(world.rank) computes job hash \(job.hash), the coordinator sent \(resume.jobHash): ranks see different catalogs or models")
        }
        if resume == nil, let hash = assignment.header.text, hash != job.hash {
            throw LibraryError(path: job.name, problem: "rank \(world.rank) computes job hash \(job.hash), the coordinator \(hash): ranks see different catalogs or models")
        }
        var trainer = try resume.map { try $0.trainer(model: model, config: job.config) } ?? MembraneTrainer(model: model, config: job.config)
        var seconds = resume?.seconds ?? 0
        var loss = resume?.loss ?? LossParts()
        var end: JobEnd = trainer.iteration >= job.config.iterations ? .completed : .running
        if end == .completed {
            // A checkpoint of the last iteration (the run stopped before the membrane was written).
            if isLeader { try report(trainer, job: job, loss: loss, seconds: seconds, end: end) }
            return
        }
        while end == .running {
            let start = Date()
            let (cancel, stop) = pendingRequests(job)
            let local: Float = stop ? 2 : (cancel ? 1 : 0)
            let (parts, flag) = try iteration(&trainer, job: job.name, flag: local)
            loss = parts
            seconds += Date().timeIntervalSince(start)
            if trainer.iteration >= job.config.iterations {
                end = .completed
            } else if flag >= 2 {
                end = .interrupted
            } else if flag >= 1 {
                end = .cancelled
            }
            if isLeader {
                try report(trainer, job: job, loss: loss, seconds: seconds, end: end)
            } else {
                heartbeat(job: job.name, iteration: trainer.iteration, unit: 0)
            }
        }
    }

    /// Sends the job's state to the coordinator (leader only).
    func report(_ trainer: MembraneTrainer, job: Job, loss: LossParts, seconds: Double, end: JobEnd) throws {
        let state = JobCheckpoint(trainer: trainer, concept: job.name, jobHash: job.hash, loss: loss, seconds: seconds)
        try world.send(Packet(state: state, end: end).encoded(), to: 0, tag: Tag.progress)
    }

    /// One group iteration with the stop flag riding in the fused buffer (1: cancel, 2: stop).
    func iteration(_ trainer: inout MembraneTrainer, job name: String, flag: Float) throws -> (LossParts, Float) {
        let units = Scheduler.units(batchSize: trainer.config.batchSize, rank: group.rank, size: group.size)
        let it = trainer.iteration
        var buffer = GroupStep.localBuffer(trainer, units: units, stop: false) { unit in
            self.heartbeat(job: name, iteration: it, unit: unit + 1)
        }
        buffer[buffer.count - 1] = flag
        if group.size > 1 {
            // Stop flags are combined by a sum; any non-zero flag stops the whole group.
            buffer = try GroupStep.sum(buffer, over: group)
        }
        let n = trainer.gradientLength
        let stop = buffer[n + 3]
        let (loss, _) = GroupStep.apply(buffer, to: &trainer)
        let level: Float = stop >= 2 ? 2 : (stop >= 1 ? 1 : 0)
        return (loss, level)
    }

    /// Whether this rank must cancel the job or stop the run: a signal on any rank, or (leader
    /// only) a control message from the coordinator.
    func pendingRequests(_ job: Job) -> (cancel: Bool, stop: Bool) {
        var cancel = false, stop = stopSignal.received != nil
        guard isLeader else { return (false, stop) }
        while let found = try? world.probe(from: 0, tag: Tag.control), found != nil {
            guard let message = try? world.receive(from: 0, tag: Tag.control), let packet = try? Packet(decoding: message.data) else { break }
            guard packet.header.job == job.name else { continue }
            if packet.header.text == "cancel" { cancel = true }
            if packet.header.text == "stop" { stop = true }
        }
        return (cancel, stop)
    }

    /// Sends a heartbeat (a small eager message: it never blocks).
    func heartbeat(job: String?, iteration: Int, unit: Int) {
        let packet = Packet(header: MessageHeader(job: job, iteration: iteration, rank: world.rank, unit: unit))
        try? world.send(packet.encoded(), to: 0, tag: Tag.heartbeat)
    }

    /// Waits for a coordinator message with one of `tags`, polling and sleeping so an idle rank
    /// costs no core (Open MPI's blocking receive spins); heartbeats every 10 s meanwhile.
    func waitForCoordinator(tags: [Int]) throws -> Communicator.Message {
        var lastBeat = Date()
        while true {
            for tag in tags where try world.probe(from: 0, tag: tag) != nil {
                return try world.receive(from: 0, tag: tag)
            }
            usleep(5_000)
            if Date().timeIntervalSince(lastBeat) > 10 {
                heartbeat(job: nil, iteration: 0, unit: 0)
                lastBeat = Date()
            }
        }
    }
}
