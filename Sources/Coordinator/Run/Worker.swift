#if canImport(Glibc)
import Glibc
#endif
import Distributed
import Foundation
import Logging
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
    let model: StableDiffusionModel
    let jobs: [String: Job]
    let stopSignal: StopSignal
    let logger: Logger

    var isLeader: Bool { group.rank == 0 }

    /// Trains assignments until the coordinator says the run is over; returns the exit code.
    func run() throws -> Int32 {
        while true {
            switch try waitForCoordinator(tags: [.assign, .finish]) {
            case .finish(let code):
                return code
            case .assign(let name, let hash, let resume):
                guard let job = jobs[name] else {
                    throw RunError("rank \(world.rank) does not know job '\(name)' (was the catalog changed during the run?)")
                }
                guard hash == job.hash else {
                    throw RunError("rank \(world.rank) computes job hash \(job.hash) for '\(name)', the coordinator \(hash): ranks see different catalogs or models")
                }
                if let trainer = try train(job, resume: resume), let evaluation = job.evaluation {
                    try evaluate(job, evaluation: evaluation, trainer: trainer)
                }
            default:
                continue
            }
        }
    }

    /// Trains one job until it completes or is stopped; returns the trainer when it completed.
    func train(_ job: Job, resume: TrainingCheckpoint?) throws -> MembraneTrainer? {
        var trainer = try makeTrainer(job, resume: resume)
        logger.debug("\(job.name): training from iteration \(trainer.iteration)/\(job.config.iterations) as rank \(group.rank) of \(group.size)")
        var seconds = resume?.seconds ?? 0
        var loss = resume?.loss ?? LossParts()
        var end: JobEnd = trainer.iteration >= job.config.iterations ? .completed : .running
        if end == .completed {
            // A checkpoint of the last iteration (the run stopped before the membrane was written).
            if isLeader { try report(trainer, job: job, loss: loss, seconds: seconds, end: end) }
            return trainer
        }
        while end == .running {
            let start = Date()
            let it = trainer.iteration
            let parts: LossParts, requests: GroupRequests
            do {
                (parts, requests) = try GroupStep.run(&trainer, group: group, requests: pendingRequests(job)) { unit in
                    self.heartbeat(job: job.name, iteration: it, unit: unit + 1)
                }
            } catch let error as NonFiniteTrainingError {
                // Every rank of the group saw the same all-reduced values and stops here alike.
                logger.error("\(job.name): \(error)")
                if isLeader { try send(.failed(job: job.name, hash: job.hash, reason: "\(error)")) }
                return nil
            }
            loss = parts
            seconds += Date().timeIntervalSince(start)
            logger.trace("\(job.name): iteration \(trainer.iteration)", metadata: ["erase": "\(parts.erase)", "anchoring": "\(parts.anchoring)"])
            if trainer.iteration >= job.config.iterations {
                end = .completed
            } else if requests.stop {
                end = .interrupted
            } else if requests.cancel {
                end = .cancelled
            }
            if isLeader {
                try report(trainer, job: job, loss: loss, seconds: seconds, end: end)
            } else {
                heartbeat(job: job.name, iteration: trainer.iteration, unit: 0)
            }
        }
        return end == .completed ? trainer : nil
    }

    /// Sends the job's state to the coordinator (leader only).
    func report(_ trainer: MembraneTrainer, job: Job, loss: LossParts, seconds: Double, end: JobEnd) throws {
        let state = JobCheckpoint(concept: job.name, jobHash: job.hash, training: trainer.checkpoint(loss: loss, seconds: seconds))
        try send(.progress(state, end: end))
    }

    /// What this rank asks of its group: a signal on any rank stops the run; a control message
    /// (which only the leader receives) cancels or stops the job.
    func pendingRequests(_ job: Job) -> GroupRequests {
        var requests = GroupRequests(stop: stopSignal.received != nil)
        guard isLeader else { return requests }
        while (try? world.probe(from: 0, tag: Tag.control.rawValue)) != nil {
            guard let raw = try? world.receive(from: 0, tag: Tag.control.rawValue),
                  case .control(let name, let request)? = try? Message(decoding: raw.data, tag: raw.tag) else { break }
            guard name == job.name else { continue }
            switch request {
            case .cancel: requests.cancel = true
            case .stop: requests.stop = true
            }
        }
        return requests
    }

    /// Sends a message to the coordinator.
    func send(_ message: Message) throws {
        try world.send(message.encoded(), to: 0, tag: message.tag.rawValue)
    }

    /// Sends a heartbeat (a small eager message: it never blocks).
    func heartbeat(job: String?, iteration: Int, unit: Int) {
        try? send(.heartbeat(job: job, iteration: iteration, unit: unit))
    }

    /// Waits for a coordinator message with one of `tags`, polling and sleeping so an idle rank
    /// costs no core (Open MPI's blocking receive spins); heartbeats every 10 s meanwhile.
    func waitForCoordinator(tags: [Tag]) throws -> Message {
        var lastBeat = Date()
        while true {
            for tag in tags where try world.probe(from: 0, tag: tag.rawValue) != nil {
                let raw = try world.receive(from: 0, tag: tag.rawValue)
                return try Message(decoding: raw.data, tag: raw.tag)
            }
            usleep(5_000)
            if Date().timeIntervalSince(lastBeat) > 10 {
                heartbeat(job: nil, iteration: 0, unit: 0)
                lastBeat = Date()
            }
        }
    }
}
