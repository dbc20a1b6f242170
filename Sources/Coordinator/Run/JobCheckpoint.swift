import Foundation
import Membranes

/// A catalog job's training state: Membranes' ``TrainingCheckpoint`` with the job it belongs to.
///
/// On disk: `<library>/<concept>/checkpoint.safetensors`, the training checkpoint's layout with
/// the job's concept and hash added to the metadata.
public struct JobCheckpoint: Equatable, Sendable {
    /// The library entry name.
    public var concept: String
    /// The job's content hash (see ``Job``).
    public var jobHash: String
    /// The training state.
    public var training: TrainingCheckpoint

    public init(concept: String, jobHash: String, training: TrainingCheckpoint) {
        self.concept = concept
        self.jobHash = jobHash
        self.training = training
    }

    /// Completed iterations.
    public var iteration: Int { training.iteration }

    /// Writes the checkpoint atomically.
    public func write(to url: URL) throws {
        try training.write(to: url, metadata: ["membrane.concept": concept, "membrane.job_hash": jobHash])
    }

    /// Reads a job checkpoint; throws if the file is damaged, not a checkpoint, or names no job.
    public static func read(from url: URL) throws -> JobCheckpoint {
        let (training, meta) = try TrainingCheckpoint.read(from: url)
        guard let concept = meta["membrane.concept"], let hash = meta["membrane.job_hash"] else {
            throw TrainingCheckpointError(path: url.path, problem: "not a catalog job checkpoint (no concept or job hash)")
        }
        return JobCheckpoint(concept: concept, jobHash: hash, training: training)
    }
}
