import Foundation
import Membranes
import SafeTensors
import StableDiffusion
import TensorEngine

/// A job's training state at an iteration boundary: membrane weights, AdamW moments and step
/// count, the iteration, and the job hash it belongs to.
///
/// Random numbers need no saved state: every unit of an iteration draws from a stream derived
/// from (seed, iteration, unit), so the iteration restores them. Resuming from a checkpoint is
/// therefore bit-identical to never having stopped (at the same group size).
///
/// On disk: `<library>/<concept>/checkpoint.safetensors` with three flat F32 tensors
/// (`parameters`, `adam_m`, `adam_v`, in ``Membrane/parameters`` order) and the scalars in the
/// metadata; written atomically (temporary file, fsync, rename, fsync of the folder).
public struct JobCheckpoint: Equatable, Sendable {
    /// Version of the checkpoint layout.
    public static let formatVersion = "1"

    public var concept: String
    public var jobHash: String
    /// Completed iterations.
    public var iteration: Int
    /// AdamW steps taken (equals `iteration`).
    public var adamSteps: Int
    public var parameters: [Float]
    public var adamM: [Float]
    public var adamV: [Float]
    /// Loss parts of the last iteration.
    public var loss: LossParts
    /// Training seconds so far (over every run).
    public var seconds: Double

    /// The state of a trainer.
    public init(trainer: MembraneTrainer, concept: String, jobHash: String, loss: LossParts, seconds: Double) {
        let state = trainer.checkpoint
        self.concept = concept
        self.jobHash = jobHash
        iteration = state.iteration
        adamSteps = state.optimizer.steps
        parameters = state.parameters.flatMap(\.scalars)
        adamM = state.optimizer.m.flatMap { $0 }
        adamV = state.optimizer.v.flatMap { $0 }
        self.loss = loss
        self.seconds = seconds
    }

    /// Writes the checkpoint atomically.
    public func write(to url: URL) throws {
        var writer = SafeTensorsWriter(metadata: [
            "membrane.checkpoint_version": JobCheckpoint.formatVersion,
            "membrane.concept": concept,
            "membrane.job_hash": jobHash,
            "membrane.iteration": String(iteration),
            "membrane.adam_steps": String(adamSteps),
            "membrane.rng": "derived from (seed, iteration, unit)",
            "membrane.loss": "\(loss.erase.bitPattern) \(loss.anchoring.bitPattern) \(loss.total.bitPattern)",
            "membrane.train_seconds": String(seconds),
        ])
        try writer.add("parameters", floats: parameters, shape: [parameters.count])
        try writer.add("adam_m", floats: adamM, shape: [adamM.count])
        try writer.add("adam_v", floats: adamV, shape: [adamV.count])
        try writer.write(to: url)
    }

    /// Reads a checkpoint; throws if the file is damaged or not a checkpoint.
    public static func read(from url: URL) throws -> JobCheckpoint {
        let file = try SafeTensorsFile(url: url)
        let meta = file.metadata
        func fail(_ p: String) -> LibraryError { LibraryError(path: url.path, problem: p) }
        guard meta["membrane.checkpoint_version"] == formatVersion, let concept = meta["membrane.concept"],
              let hash = meta["membrane.job_hash"], let iteration = meta["membrane.iteration"].flatMap(Int.init),
              let steps = meta["membrane.adam_steps"].flatMap(Int.init) else {
            throw fail("not a Membrane checkpoint (missing metadata)")
        }
        let lossBits = (meta["membrane.loss"] ?? "").split(separator: " ").compactMap { UInt32($0) }
        let loss = lossBits.count == 3
            ? LossParts(erase: Float(bitPattern: lossBits[0]), anchoring: Float(bitPattern: lossBits[1]), total: Float(bitPattern: lossBits[2]))
            : LossParts()
        let p = try file.floats("parameters"), m = try file.floats("adam_m"), v = try file.floats("adam_v")
        guard p.count == m.count, p.count == v.count else { throw fail("parameters and moments have different sizes") }
        return JobCheckpoint(concept: concept, jobHash: hash, iteration: iteration, adamSteps: steps, parameters: p,
                             adamM: m, adamV: v, loss: loss, seconds: meta["membrane.train_seconds"].flatMap(Double.init) ?? 0)
    }

    /// A checkpoint from its parts.
    public init(concept: String, jobHash: String, iteration: Int, adamSteps: Int, parameters: [Float], adamM: [Float],
                adamV: [Float], loss: LossParts, seconds: Double) {
        self.concept = concept
        self.jobHash = jobHash
        self.iteration = iteration
        self.adamSteps = adamSteps
        self.parameters = parameters
        self.adamM = adamM
        self.adamV = adamV
        self.loss = loss
        self.seconds = seconds
    }

    /// A trainer continuing from this state. Throws if the sizes do not fit the model.
    public func trainer(model: StableDiffusionModel, config: TrainingConfig) throws -> MembraneTrainer {
        let fresh = try MembraneTrainer(model: model, config: config)
        var state = fresh.checkpoint
        let total = state.parameters.reduce(0) { $0 + $1.count }
        guard total == parameters.count else {
            throw LibraryError(path: concept, problem: "checkpoint holds \(parameters.count) parameters, this model's membrane has \(total)")
        }
        var offset = 0
        for (k, tensor) in state.parameters.enumerated() {
            let range = offset..<(offset + tensor.count)
            state.parameters[k] = Tensor(shape: tensor.shape, values: Array(parameters[range]))
            state.optimizer.m[k] = Array(adamM[range])
            state.optimizer.v[k] = Array(adamV[range])
            offset += tensor.count
        }
        state.iteration = iteration
        state.optimizer.steps = adamSteps
        return try MembraneTrainer(model: model, config: config, resume: state)
    }

    /// The trained membrane, with metadata, for the library.
    public func membrane(model: StableDiffusionModel, config: TrainingConfig, info: [String: String]) throws -> Membrane {
        try trainer(model: model, config: config).result(info: info)
    }
}
