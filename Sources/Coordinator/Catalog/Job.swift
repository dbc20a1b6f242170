import Foundation
import Membranes

/// One membrane to train: a catalog concept bound to a base model, with its content hash.
///
/// The hash covers the base model's UNet weights (their fingerprint), the fully resolved
/// training config and the job format version: a library entry with the same hash is the same
/// membrane, so it is never trained again.
public struct Job {
    /// Version of what the hash covers; bump it when training changes its results.
    public static let formatVersion = "membrane-job-1"

    /// Library entry name.
    public let name: String
    /// The resolved training config.
    public let config: TrainingConfig
    /// Fingerprint of the base model's UNet weights.
    public let baseFingerprint: String
    /// Iterations between checkpoints.
    public let checkpointEvery: Int
    /// The evaluation and gate after training, if any (not part of ``hash``: changing it
    /// re-evaluates, see ``ConceptEvaluation/hash``).
    public let evaluation: ConceptEvaluation?

    /// A job for a catalog concept on a base model.
    public init(name: String, config: TrainingConfig, baseFingerprint: String, checkpointEvery: Int,
                evaluation: ConceptEvaluation? = nil) {
        self.name = name
        self.config = config
        self.baseFingerprint = baseFingerprint
        self.checkpointEvery = checkpointEvery
        self.evaluation = evaluation
    }

    /// The content hash (16 hex digits).
    public var hash: String { Job.hash(baseFingerprint: baseFingerprint, config: config) }

    /// The content hash of a config trained on a base model.
    public static func hash(baseFingerprint: String, config: TrainingConfig) -> String {
        let text = formatVersion + "\n" + baseFingerprint + "\n" + MembraneMetadata.canonicalJSON(config.canonicalValues)
        return MembraneMetadata.stableHash(text)
    }

    /// The jobs of a catalog, in catalog order.
    public static func jobs(of catalog: Catalog, baseFingerprint: String) -> [Job] {
        catalog.concepts.map {
            Job(name: $0.name, config: $0.config, baseFingerprint: baseFingerprint, checkpointEvery: catalog.checkpointEvery,
                evaluation: $0.evaluation)
        }
    }
}
