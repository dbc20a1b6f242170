import Foundation
import Membranes

/// MPI message tags between the coordinator (world rank 0) and the workers.
enum Tag: Int, CaseIterable {
    /// Coordinator -> every rank of a group: the next job, or none (the group is done).
    case assign = 11
    /// Group leader -> coordinator: the state after an iteration (or the final state of a job).
    case progress = 12
    /// Any worker -> coordinator: alive, with what it is doing.
    case heartbeat = 13
    /// Coordinator -> group leader: cancel or stop the current job after this iteration.
    case control = 14
    /// Coordinator -> every worker: the run is over, leave.
    case finish = 15
    /// Group leader -> coordinator: the evaluation of a finished membrane, every unit's results.
    case evaluated = 16
}

/// What the coordinator asks of a running group.
enum JobRequest: String, Codable {
    case cancel
    case stop
}

/// Every message of a catalog run.
///
/// On the wire: an 8-byte little-endian length, a JSON ``Header``, then the training state's
/// vectors (parameters, AdamW m, AdamW v) as raw little-endian F32 values.
enum Message: Equatable {
    /// The next job of a group, resuming from `resume` when it has a checkpoint.
    case assign(job: String, hash: String, resume: TrainingCheckpoint?)
    /// No job left for this group.
    case noMoreJobs
    /// A job's state after an iteration, and whether the group stopped it.
    case progress(JobCheckpoint, end: JobEnd)
    /// The group stopped the job because training went non-finite (``NonFiniteTrainingError``).
    case failed(job: String, hash: String, reason: String)
    /// A worker is alive: its job (if any), iteration and units done in it.
    case heartbeat(job: String?, iteration: Int, unit: Int)
    /// A request for the group training `job`.
    case control(job: String, request: JobRequest)
    /// The run is over; the process exits with `exitCode`.
    case finish(exitCode: Int32)
    /// The group evaluated `job`'s finished membrane: `results` is the JSON of every
    /// ``ClassEvaluation/UnitResult``; `seconds` the evaluation's wall time.
    case evaluated(job: String, hash: String, seconds: Double, ranks: Int, results: Data)

    /// The tag the message travels with.
    var tag: Tag {
        switch self {
        case .assign, .noMoreJobs: .assign
        case .progress, .failed: .progress
        case .heartbeat: .heartbeat
        case .control: .control
        case .finish: .finish
        case .evaluated: .evaluated
        }
    }

    /// The scalars of a training state, as sent after the header.
    struct State: Codable, Equatable {
        var iteration: Int
        var adamSteps: Int
        var loss: [Float]
        var seconds: Double
    }

    /// The JSON part of a message.
    enum Header: Codable, Equatable {
        case assign(job: String, hash: String, resume: State?)
        case noMoreJobs
        case progress(concept: String, hash: String, state: State, end: JobEnd)
        case failed(job: String, hash: String, reason: String)
        case heartbeat(job: String?, iteration: Int, unit: Int)
        case control(job: String, request: JobRequest)
        case finish(exitCode: Int32)
        case evaluated(job: String, hash: String, seconds: Double, ranks: Int)
    }

    /// The header and the vectors of this message.
    var parts: (header: Header, vectors: TrainingCheckpoint?) {
        switch self {
        case .assign(let job, let hash, let resume): (.assign(job: job, hash: hash, resume: resume.map(Message.state)), resume)
        case .noMoreJobs: (.noMoreJobs, nil)
        case .progress(let c, let end): (.progress(concept: c.concept, hash: c.jobHash, state: Message.state(c.training), end: end), c.training)
        case .failed(let job, let hash, let reason): (.failed(job: job, hash: hash, reason: reason), nil)
        case .heartbeat(let job, let iteration, let unit): (.heartbeat(job: job, iteration: iteration, unit: unit), nil)
        case .control(let job, let request): (.control(job: job, request: request), nil)
        case .finish(let code): (.finish(exitCode: code), nil)
        case .evaluated(let job, let hash, let seconds, let ranks, _): (.evaluated(job: job, hash: hash, seconds: seconds, ranks: ranks), nil)
        }
    }

    static func state(_ c: TrainingCheckpoint) -> State {
        State(iteration: c.iteration, adamSteps: c.moments.steps, loss: c.loss.scalars, seconds: c.seconds)
    }

    /// The message as bytes.
    func encoded() -> Data {
        let (header, vectors) = parts
        let json = (try? JSONEncoder().encode(header)) ?? Data()
        var data = Data()
        var length = UInt64(json.count).littleEndian
        withUnsafeBytes(of: &length) { data.append(contentsOf: $0) }
        data.append(json)
        if case .evaluated(_, _, _, _, let results) = self { data.append(results) }
        if let v = vectors {
            for values in [v.parameters.values, v.moments.m.values, v.moments.v.values] {
                values.withUnsafeBytes { data.append(contentsOf: $0) }
            }
        }
        return data
    }

    /// Decodes a message received with `tag`.
    init(decoding data: Data, tag: Int) throws {
        let bytes = [UInt8](data)
        guard bytes.count >= 8 else { throw RunError("truncated message (tag \(tag))") }
        var length = 0
        for i in 0..<8 { length |= Int(bytes[i]) << (8 * i) }
        guard length >= 0, 8 + length <= bytes.count else { throw RunError("malformed message (tag \(tag))") }
        let header = try JSONDecoder().decode(Header.self, from: Data(bytes[8..<(8 + length)]))
        if case .evaluated(let job, let hash, let seconds, let ranks) = header {
            self = .evaluated(job: job, hash: hash, seconds: seconds, ranks: ranks, results: Data(bytes[(8 + length)...]))
            guard tag == Tag.evaluated.rawValue else { throw RunError("an evaluated message arrived with tag \(tag)") }
            return
        }
        guard (bytes.count - 8 - length) % 12 == 0 else { throw RunError("malformed message (tag \(tag))") }
        let n = (bytes.count - 8 - length) / 12
        var floats = [Float](repeating: 0, count: 3 * n)
        floats.withUnsafeMutableBytes { raw in
            bytes.withUnsafeBytes { src in raw.copyMemory(from: UnsafeRawBufferPointer(rebasing: src[(8 + length)...])) }
        }
        func training(_ s: State) -> TrainingCheckpoint {
            TrainingCheckpoint(iteration: s.iteration, parameters: ParameterVector(values: Array(floats[0..<n])),
                               moments: AdamW.Moments(steps: s.adamSteps, m: ParameterVector(values: Array(floats[n..<(2 * n)])),
                                                      v: ParameterVector(values: Array(floats[(2 * n)...]))),
                               loss: LossParts(scalars: s.loss) ?? LossParts(), seconds: s.seconds)
        }
        switch header {
        case .assign(let job, let hash, let resume): self = .assign(job: job, hash: hash, resume: resume.map(training))
        case .noMoreJobs: self = .noMoreJobs
        case .progress(let concept, let hash, let state, let end):
            self = .progress(JobCheckpoint(concept: concept, jobHash: hash, training: training(state)), end: end)
        case .failed(let job, let hash, let reason): self = .failed(job: job, hash: hash, reason: reason)
        case .heartbeat(let job, let iteration, let unit): self = .heartbeat(job: job, iteration: iteration, unit: unit)
        case .control(let job, let request): self = .control(job: job, request: request)
        case .finish(let code): self = .finish(exitCode: code)
        case .evaluated: throw RunError("unreachable: evaluated messages are decoded above")
        }
        guard self.tag.rawValue == tag else { throw RunError("a \(self.tag) message arrived with tag \(tag)") }
    }
}
