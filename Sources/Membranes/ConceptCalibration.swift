import Foundation

/// How much a prompt carries one concept in the text encoder's eyes, calibrated for one
/// membrane target on one model.
///
/// The text encoder's contextual token states are centred on ``mean`` (the average state of
/// ordinary vocabulary words in ordinary contexts, which removes the direction every state
/// shares) and compared with ``direction``, the centred state of the target's last token (in a
/// causal encoder it has read the whole target), and with ``competitors``, the directions of the
/// vocabulary words nearest the target. A token's score is its margin: how much nearer the
/// target it is than the nearest competitor. A prompt's score is its tokens' largest margin: a
/// synonym, a paraphrase or a misspelling the encoder maps onto the target scores like the
/// target; a neighbouring concept (another colour for a colour) is nearer itself and scores
/// below zero.
///
/// ``low`` is a high quantile of the vocabulary's scores (at least 0) and ``high`` lies between
/// it and the target's own score; the multiplier rises linearly from 0 at `low` to 1 at `high`.
public struct ConceptCalibration: Codable, Equatable, Sendable {
    /// Version of this layout; a membrane with another version is calibrated anew.
    public static let formatVersion = 3

    public var version = ConceptCalibration.formatVersion
    /// The target text this calibration is for.
    public var target: String
    /// Fingerprint of the text encoder it was made with.
    public var encoder: String
    /// Mean contextual state of the vocabulary sample (length: the encoder's hidden size).
    public var mean: [Float]
    /// Unit vector: the target's centred contextual state, averaged over contexts.
    public var direction: [Float]
    /// Unit vectors of the vocabulary words nearest the target: a token carries the target only
    /// as far as it is nearer the target than any of them.
    public var competitors: [[Float]]
    /// Score at and below which the multiplier is 0.
    public var low: Float
    /// Score at and above which the multiplier is 1.
    public var high: Float
    /// Vocabulary words the calibration compared the target with.
    public var sampleSize: Int

    /// The multiplier for a prompt with `score`: 0 up to ``low``, 1 from ``high``, linear
    /// between.
    public func multiplier(score: Float) -> Float {
        guard high > low, score.isFinite else { return 0 }
        return min(max((score - low) / (high - low), 0), 1)
    }

    /// How much `state` carries the target: the cosine of `state - mean` with ``direction``,
    /// minus its largest cosine with a competitor (0 for a zero vector).
    public func similarity(_ state: UnsafeBufferPointer<Float>) -> Float {
        precondition(state.count == mean.count, "a state of \(state.count) values for a calibration of \(mean.count)")
        let centred = (0..<state.count).map { Double(state[$0] - mean[$0]) }
        let norm = centred.reduce(0) { $0 + $1 * $1 }.squareRoot()
        guard norm > 0 else { return 0 }
        func cosine(_ unit: [Float]) -> Double { zip(centred, unit).reduce(0) { $0 + $1.0 * Double($1.1) } / norm }
        return Float(cosine(direction) - (competitors.map(cosine).max() ?? 0))
    }
}

extension ConceptCalibration {
    /// The metadata key holding a membrane's calibrations (a JSON list, one per target).
    public static let metadataKey = "membrane.transport_calibration"

    /// The calibrations stored in a membrane's metadata, or `nil` when there are none (or they
    /// are of another version).
    public static func stored(in info: [String: String]) -> [ConceptCalibration]? {
        guard let text = info[metadataKey], let list = try? JSONDecoder().decode([ConceptCalibration].self, from: Data(text.utf8)),
              list.allSatisfy({ $0.version == formatVersion }) else { return nil }
        return list
    }

    /// `calibrations` as metadata text.
    public static func metadataValue(_ calibrations: [ConceptCalibration]) -> String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        return (try? encoder.encode(calibrations)).map { String(decoding: $0, as: UTF8.self) } ?? "[]"
    }
}
