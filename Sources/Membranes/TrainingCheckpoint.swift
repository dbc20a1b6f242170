import Foundation
import SafeTensors
import StableDiffusion

/// A training state at an iteration boundary: membrane weights, AdamW moments and step count,
/// the iteration, and (for reports) the last iteration's loss and the training time so far.
///
/// Random numbers need no saved state: every unit of an iteration draws from a stream derived
/// from (seed, iteration, unit), so the iteration restores them. Resuming from a checkpoint is
/// therefore bit-identical to never having stopped.
///
/// On disk: safetensors with three flat F32 tensors (`parameters`, `adam_m`, `adam_v`, in
/// ``Membrane/parameters`` order) and the scalars in the metadata, written atomically. Callers
/// may add metadata of their own (a catalog job's identity).
public struct TrainingCheckpoint: Equatable, Sendable {
    /// Version of the checkpoint layout.
    public static let formatVersion = "1"

    /// Completed iterations.
    public var iteration: Int
    public var parameters: ParameterVector
    public var moments: AdamW.Moments
    /// Loss parts of the last iteration.
    public var loss: LossParts
    /// Training seconds so far (over every run).
    public var seconds: Double

    public init(iteration: Int, parameters: ParameterVector, moments: AdamW.Moments, loss: LossParts = LossParts(), seconds: Double = 0) {
        self.iteration = iteration
        self.parameters = parameters
        self.moments = moments
        self.loss = loss
        self.seconds = seconds
    }

    /// Throws unless the state holds `count` parameters (and moments of the same size).
    public func check(parameterCount count: Int) throws {
        guard parameters.count == count, moments.m.count == count, moments.v.count == count else {
            throw TrainingCheckpointError(path: nil, problem: "holds \(parameters.count) parameters, this model's membrane has \(count)")
        }
    }

    /// The membrane of this state for `config` on `model` (frozen, with `info` as metadata),
    /// built without running any part of the model.
    public func membrane(model: StableDiffusionModel, config: TrainingConfig, info: [String: String]) throws -> Membrane {
        let shape = MembraneTrainer.initialMembrane(sites: model.unet.adapterSites, config: config)
        try check(parameterCount: shape.parameterCount)
        var m = shape.replacingParameters(parameters)
        m.info = info
        return m
    }
}

/// A checkpoint that cannot be used: the file (if any) and what is wrong.
public struct TrainingCheckpointError: Error, CustomStringConvertible, Equatable {
    public let path: String?
    public let problem: String
    public var description: String { path.map { "\($0): \(problem)" } ?? "checkpoint \(problem)" }

    public init(path: String?, problem: String) {
        self.path = path
        self.problem = problem
    }
}

extension TrainingCheckpoint {
    /// Writes the checkpoint atomically, with `metadata` added to its own keys.
    public func write(to url: URL, metadata: [String: String] = [:]) throws {
        var meta = metadata
        meta["membrane.checkpoint_version"] = TrainingCheckpoint.formatVersion
        meta["membrane.iteration"] = String(iteration)
        meta["membrane.adam_steps"] = String(moments.steps)
        meta["membrane.rng"] = "derived from (seed, iteration, unit)"
        meta["membrane.loss"] = loss.scalars.map { String($0.bitPattern) }.joined(separator: " ")
        meta["membrane.train_seconds"] = String(seconds)
        var writer = SafeTensorsWriter(metadata: meta)
        try writer.add("parameters", floats: parameters.values, shape: [parameters.count])
        try writer.add("adam_m", floats: moments.m.values, shape: [moments.m.count])
        try writer.add("adam_v", floats: moments.v.values, shape: [moments.v.count])
        try writer.write(to: url)
    }

    /// Reads a checkpoint and the file's whole metadata; throws if the file is damaged or not a
    /// checkpoint.
    public static func read(from url: URL) throws -> (checkpoint: TrainingCheckpoint, metadata: [String: String]) {
        let file = try SafeTensorsFile(url: url)
        let meta = file.metadata
        func fail(_ p: String) -> TrainingCheckpointError { TrainingCheckpointError(path: url.path, problem: p) }
        guard meta["membrane.checkpoint_version"] == formatVersion, let iteration = meta["membrane.iteration"].flatMap(Int.init),
              let steps = meta["membrane.adam_steps"].flatMap(Int.init) else {
            throw fail("not a Membrane checkpoint (missing metadata)")
        }
        let lossBits = (meta["membrane.loss"] ?? "").split(separator: " ").compactMap { UInt32($0) }
        let loss = LossParts(scalars: lossBits.map { Float(bitPattern: $0) }) ?? LossParts()
        let p = try file.floats("parameters"), m = try file.floats("adam_m"), v = try file.floats("adam_v")
        guard p.count == m.count, p.count == v.count else { throw fail("parameters and moments have different sizes") }
        for (name, values) in [("parameters", p), ("adam_m", m)] {
            if let bad = Membrane.firstNonFinite(values) { throw fail("tensor '\(name)' holds \(bad); checkpoints must be finite") }
        }
        let checkpoint = TrainingCheckpoint(
            iteration: iteration, parameters: ParameterVector(values: p),
            moments: AdamW.Moments(steps: steps, m: ParameterVector(values: m), v: ParameterVector(values: v)),
            loss: loss, seconds: meta["membrane.train_seconds"].flatMap(Double.init) ?? 0)
        return (checkpoint, meta)
    }
}
