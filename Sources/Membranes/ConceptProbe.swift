import Foundation
import StableDiffusion
import TensorEngine
import Tokenizer

/// Measures how much prompts carry a concept in a model's text encoder, and calibrates that
/// measure for a target (``ConceptCalibration``) from the model and the target alone.
///
/// Calibration compares the target with a deterministic sample of the tokenizer's own
/// whole-word vocabulary, each word alone and next to other sampled words: no prompt list, no
/// language assumptions, nothing from an evaluation.
public struct ConceptProbe {
    public let model: StableDiffusionModel

    /// Vocabulary words compared with the target.
    public var sampleSize = 192
    /// Words placed before or after the compared word to make its contexts.
    public var contextWords = 2
    /// Quantile of the vocabulary's scores where the multiplier starts to rise.
    public var quantile = 0.98
    /// Competing vocabulary directions kept in a calibration.
    public var competitorCount = 16
    /// Cosine of directions above which a vocabulary word counts as the target itself.
    public var duplicateSimilarity: Float = 0.95
    /// Share of the target's own margin over its competitors at which the multiplier reaches 1.
    public var fullStrengthShare: Float = 0.5
    /// Prompts encoded per text-encoder batch.
    public var batchSize = 32

    public init(model: StableDiffusionModel) { self.model = model }

    /// A prompt's token positions and the encoder's state at each of them.
    struct Encoded {
        var ids: [Int32]
        var states: Tensor
        var width: Int { states.shape[1] }

        /// The state at position `j`.
        func state(_ j: Int) -> UnsafeBufferPointer<Float> {
            UnsafeBufferPointer(start: states.pointer + j * width, count: width)
        }
    }

    /// The encoder's states of `prompts`, in batches. The CLIP text encoder is causal: a
    /// position's state depends only on the tokens up to it, so each batch is cut after its
    /// longest prompt's end token instead of running all padding positions.
    func encode(_ prompts: [String]) -> [Encoded] {
        let t = model.tokenizer
        var result: [Encoded] = []
        result.reserveCapacity(prompts.count)
        withoutGradient {
            for start in stride(from: 0, to: prompts.count, by: batchSize) {
                let rows = prompts[start..<min(start + batchSize, prompts.count)].map { t.encode($0) }
                let length = rows.map { ids in (ids.firstIndex(of: t.eosID) ?? ids.count - 1) + 1 }.max() ?? 1
                let cut = rows.map { Array($0.prefix(length)) }
                let out = model.textEncoder(cut)
                let d = out.shape[2]
                for (k, ids) in cut.enumerated() {
                    result.append(Encoded(ids: ids, states: out.slice(axis: 0, range: k..<(k + 1)).reshaped([length, d])))
                }
            }
        }
        return result
    }

    /// Positions of `ids` that hold text (not start, end or padding).
    func contentPositions(_ ids: [Int32]) -> [Int] {
        let t = model.tokenizer
        return ids.indices.filter { ids[$0] != t.bosID && ids[$0] != t.eosID && ids[$0] != t.padID }
    }

    /// The largest similarity to the concept over a prompt's text positions (or over `positions`).
    func score(_ encoded: Encoded, _ calibration: ConceptCalibration, positions: [Int]? = nil) -> Float {
        let candidates = positions ?? contentPositions(encoded.ids)
        return candidates.map { calibration.similarity(encoded.state($0)) }.max() ?? -1
    }

    /// Scores of `prompts` against each calibration (one list per calibration).
    public func scores(prompts: [String], calibrations: [ConceptCalibration]) -> [[Float]] {
        let encoded = encode(prompts)
        return calibrations.map { c in encoded.map { score($0, c) } }
    }

    /// The tokenizer's whole words (ASCII letters, at least 3 of them), in id order.
    func vocabularyWords() -> [String] {
        let t = model.tokenizer
        var words: [(Int32, String)] = []
        for id in 0..<Int32(t.vocabularySize) {
            guard let token = t.token(for: id), token.hasSuffix("</w>") else { continue }
            let word = String(token.dropLast(4))
            guard word.count >= 3, word.unicodeScalars.allSatisfy({ $0.isASCII && CharacterSet.letters.contains($0) }) else { continue }
            words.append((id, word))
        }
        return words.map(\.1)
    }

    /// The contexts a word is seen in: alone, after and before each context word.
    func contexts(of word: String, with others: [String]) -> [(prompt: String, offset: Int)] {
        var result: [(String, Int)] = [(word, 0)]
        for other in others {
            result.append(("\(other) \(word)", model.tokenizer.ids(other).count))
            result.append(("\(word) \(other)", 0))
        }
        return result
    }

    /// The vocabulary words that share no token with `target`, in an order shuffled by the
    /// target alone: the same words for the same target and tokenizer, on every machine.
    func sampledWords(apartFrom target: String) -> [String] {
        let t = model.tokenizer
        let targetIDs = Set(t.ids(target))
        var candidates = vocabularyWords().filter { Set(t.ids($0)).isDisjoint(with: targetIDs) && $0.lowercased() != target.lowercased() }
        var rng = RandomSource(seed: UInt64(MembraneMetadata.stableHash(target), radix: 16) ?? 0)
        for i in candidates.indices.reversed() where i > 0 { candidates.swapAt(i, rng.int(in: 0..<(i + 1))) }
        return candidates
    }

    /// Calibrates the concept measure for `target`.
    public func calibrate(target: String) -> ConceptCalibration {
        let t = model.tokenizer
        let candidates = sampledWords(apartFrom: target)
        let context = Array(candidates.prefix(contextWords))
        let sample = Array(candidates.dropFirst(contextWords).prefix(sampleSize))

        // Every prompt of the calibration: the target's contexts first, then each word's.
        var layout: [(word: Int?, prompt: String, first: Int, count: Int)] = []
        for (w, word) in ([target] + sample).enumerated() {
            let length = t.ids(word).count
            for c in contexts(of: word, with: context) {
                layout.append((w == 0 ? nil : w - 1, c.prompt, 1 + c.offset, length))
            }
        }
        let encoded = encode(layout.map(\.prompt))
        let width = encoded.first?.width ?? 0

        var mean = [Double](repeating: 0, count: width)
        var count = 0
        for e in encoded {
            for j in contentPositions(e.ids) {
                let s = e.state(j)
                for i in 0..<width { mean[i] += Double(s[i]) }
                count += 1
            }
        }
        let centre = mean.map { Float($0 / Double(max(count, 1))) }

        // Each word's direction: its centred last-token state, normalised, averaged over contexts.
        var sums = [[Double]](repeating: [Double](repeating: 0, count: width), count: sample.count + 1)
        for (k, entry) in layout.enumerated() {
            let s = encoded[k].state(entry.first + entry.count - 1)
            var v = (0..<width).map { Double(s[$0] - centre[$0]) }
            let norm = v.reduce(0) { $0 + $1 * $1 }.squareRoot()
            if norm > 0 { v = v.map { $0 / norm } }
            let w = entry.word.map { $0 + 1 } ?? 0
            for i in 0..<width { sums[w][i] += v[i] }
        }
        let directions = sums.map { sum -> [Float] in
            let norm = sum.reduce(0) { $0 + $1 * $1 }.squareRoot()
            return sum.map { Float(norm > 0 ? $0 / norm : 0) }
        }
        let direction = directions[0]
        func dot(_ a: [Float], _ b: [Float]) -> Float { zip(a, b).reduce(0) { $0 + $1.0 * $1.1 } }
        // Competitors: the words whose directions lie nearest the target's, short of being the
        // same direction (a vocabulary synonym of the target is no competitor).
        let competitors = directions.dropFirst().map { ($0, dot($0, direction)) }.filter { $0.1 < duplicateSimilarity }
            .sorted { $0.1 > $1.1 }.prefix(competitorCount).map(\.0)

        var calibration = ConceptCalibration(target: target, encoder: model.textEncoderFingerprint, mean: centre, direction: direction, competitors: Array(competitors),
                                             low: 0, high: 1, sampleSize: sample.count)
        var targetScores: [Float] = []
        var wordScores = [[Float]](repeating: [], count: sample.count)
        for (k, entry) in layout.enumerated() {
            let s = score(encoded[k], calibration, positions: Array(entry.first..<(entry.first + entry.count)))
            if let w = entry.word { wordScores[w].append(s) } else { targetScores.append(s) }
        }
        let perWord = wordScores.map { $0.reduce(0, +) / Float(max($0.count, 1)) }.sorted()
        let own = targetScores.reduce(0, +) / Float(max(targetScores.count, 1))
        let others = perWord.isEmpty ? 0 : perWord[min(perWord.count - 1, Int((Double(perWord.count - 1) * quantile).rounded()))]
        calibration.low = max(0, others)
        calibration.high = calibration.low + fullStrengthShare * max(own - calibration.low, 0)
        return calibration
    }

    /// The `count` vocabulary words whose text-encoder states lie nearest the target of
    /// `calibration` while staying below its ``ConceptCalibration/low`` threshold: the concepts a
    /// membrane is most likely to erode, and none the calibration counts as the target itself.
    public func neighbours(of calibration: ConceptCalibration, count: Int) -> [String] {
        guard count > 0 else { return [] }
        let t = model.tokenizer
        let targetIDs = Set(t.ids(calibration.target))
        let words = vocabularyWords().filter { Set(t.ids($0)).isDisjoint(with: targetIDs) }
        let scores = zip(words, encode(words)).map { ($0, score($1, calibration)) }
        return scores.filter { $0.1 < calibration.low }.sorted { $0.1 > $1.1 }.prefix(count).map(\.0)
    }
}
