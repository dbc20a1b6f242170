import Foundation
import StableDiffusion

/// Our own metadata keys written next to the reference's `prompts`, `rank`, `alpha`.
public enum MembraneMetadata {
    /// Metadata for a trained membrane: what it was trained on and how, and the calibration of
    /// its Facilitated Transport (``ConceptProbe``) on the model it was trained on. It holds
    /// nothing of when, where or how fast (no timings, hosts or dates), so the same inputs give
    /// the same file, byte for byte.
    public static func describe(config: TrainingConfig, model: StableDiffusionModel, iterations: Int,
                                loss: LossParts) -> [String: String] {
        [
            "membrane.base_fingerprint": model.unetFingerprint,
            "membrane.base_model": model.directory.lastPathComponent,
            "membrane.config_hash": configHash(config),
            "membrane.config": canonicalJSON(config.canonicalValues),
            "membrane.iterations": String(iterations),
            "membrane.seed": String(config.seed),
            "membrane.final_loss": String(format: "erase=%.6g anchoring=%.6g", loss.erase, loss.anchoring),
            ConceptCalibration.metadataKey: ConceptCalibration.metadataValue([ConceptProbe(model: model).calibrate(target: config.target)]),
        ]
    }

    /// A stable hash of a resolved config.
    public static func configHash(_ config: TrainingConfig) -> String {
        stableHash(canonicalJSON(config.canonicalValues))
    }

    /// JSON with sorted keys.
    public static func canonicalJSON(_ values: [String: String]) -> String {
        let data = try? JSONSerialization.data(withJSONObject: values, options: [.sortedKeys])
        return data.flatMap { String(data: $0, encoding: .utf8) } ?? "{}"
    }

    /// 64-bit FNV-1a of UTF-8 text, as 16 hex digits.
    public static func stableHash(_ text: String) -> String {
        var h: UInt64 = 0xCBF2_9CE4_8422_2325
        for b in text.utf8 { h ^= UInt64(b); h = h &* 0x100_0000_01B3 }
        return String(format: "%016llx", h)
    }
}
