#if canImport(Glibc)
import Glibc
#endif
import StableDiffusion
import TensorEngine

/// Facilitated Transport: how strongly each membrane acts on a prompt. A membrane whose targets
/// are far from the prompt lets it through untouched (multiplier 0); one whose target the prompt
/// carries acts fully (multiplier 1).
///
/// The default rule, ``Rule/meaning``, asks the text encoder whether the prompt carries a target
/// (``ConceptCalibration``): synonyms, paraphrases and misspellings the encoder maps near the
/// target get a high multiplier even when they share no token with it. Naming the target's
/// tokens still counts (the larger of the two wins).
public struct FacilitatedTransport {
    /// How the prompt-to-target similarity is measured.
    public enum Rule: String, Sendable, CaseIterable {
        /// The larger of the token share and the calibrated contextual similarity of the
        /// prompt's tokens to each target.
        case meaning
        /// The reference: max of the cosine of the flattened 77-token embeddings and the share of
        /// the target's tokens present in the prompt.
        case reference
        /// The share of target tokens present in the prompt only (a keyword match).
        case tokens
    }

    public var rule: Rule

    public init(rule: Rule = .meaning) { self.rule = rule }

    /// The calibrations the ``Rule/meaning`` rule uses for `membranes`: one list per membrane,
    /// one calibration per target, read from each membrane's metadata when they were made with
    /// this model's text encoder, otherwise calibrated now from `model` and the target (the
    /// fallback for membranes trained elsewhere, such as the reference implementation's files,
    /// and for a membrane carried over to a fine-tune whose text encoder differs). Empty lists
    /// for the other rules.
    public func calibrations(for membranes: [Membrane], model: StableDiffusionModel) -> [[ConceptCalibration]] {
        guard rule == .meaning else { return membranes.map { _ in [] } }
        let probe = ConceptProbe(model: model)
        let width = model.textEncoder.config.hiddenSize
        var made: [String: ConceptCalibration] = [:]
        return membranes.map { membrane in
            if let stored = ConceptCalibration.stored(in: membrane.info), stored.map(\.target) == membrane.targets,
               stored.allSatisfy({ $0.encoder == model.textEncoderFingerprint && $0.mean.count == width }) {
                return stored
            }
            return membrane.targets.map { target in
                if let known = made[target] { return known }
                let c = probe.calibrate(target: target)
                made[target] = c
                return c
            }
        }
    }

    /// The multiplier of a membrane with `targets` for one prompt.
    public func multiplier(prompt: String, targets: [String], model: StableDiffusionModel) -> Float {
        multipliers(rowPrompts: [prompt], membranes: [Membrane(targets: targets, layers: [:])], model: model)[0][0]
    }

    /// Multipliers for every row prompt of a batch, one list per membrane (computed once per
    /// distinct prompt). `calibrations` come from ``calibrations(for:model:)`` (computed here
    /// when `nil`).
    public func multipliers(rowPrompts: [String], membranes: [Membrane], model: StableDiffusionModel,
                            calibrations: [[ConceptCalibration]]? = nil) -> [[Float]] {
        let calibrations = calibrations ?? self.calibrations(for: membranes, model: model)
        var distinct: [String] = []
        for prompt in rowPrompts where !distinct.contains(prompt) { distinct.append(prompt) }
        let byPrompt = Dictionary(uniqueKeysWithValues: zip(distinct, promptMultipliers(distinct, membranes: membranes, model: model,
                                                                                           calibrations: calibrations)))
        return membranes.indices.map { i in rowPrompts.map { byPrompt[$0]?[i] ?? 0 } }
    }

    /// For each prompt, the multiplier of each membrane.
    func promptMultipliers(_ prompts: [String], membranes: [Membrane], model: StableDiffusionModel,
                           calibrations: [[ConceptCalibration]]) -> [[Float]] {
        let promptTokens = prompts.map { contentTokens($0, model) }
        var similarity = [[Float]](repeating: [Float](repeating: 0, count: membranes.count), count: prompts.count)
        switch rule {
        case .tokens:
            break
        case .meaning:
            let probe = ConceptProbe(model: model)
            let encoded = probe.encode(prompts)
            for (i, list) in calibrations.enumerated() {
                for (p, e) in encoded.enumerated() {
                    similarity[p][i] = list.map { $0.multiplier(score: probe.score(e, $0)) }.max() ?? 0
                }
            }
        case .reference:
            let targets = Array(Set(membranes.flatMap(\.targets))).sorted()
            let targetEmbeddings = Dictionary(uniqueKeysWithValues: zip(targets, targets.map { model.encode(prompts: [$0]) }))
            for (p, prompt) in prompts.enumerated() {
                let embedding = model.encode(prompts: [prompt])
                for (i, membrane) in membranes.enumerated() {
                    similarity[p][i] = membrane.targets.compactMap { targetEmbeddings[$0].map { cosine(embedding, $0) } }.max() ?? 0
                }
            }
        }
        return prompts.indices.map { p in
            membranes.indices.map { i in
                let targets = membranes[i].targets
                guard !targets.isEmpty else { return 1 }
                let overlap = targets.map { tokenShare(target: $0, promptTokens: promptTokens[p], model: model) }.max() ?? 0
                return min(max(max(overlap, similarity[p][i]), 0), 1)
            }
        }
    }

    /// The share of `target`'s content tokens present in the prompt.
    func tokenShare(target: String, promptTokens: Set<Int32>, model: StableDiffusionModel) -> Float {
        let targetTokens = contentTokens(target, model)
        guard !targetTokens.isEmpty else { return 0 }
        return Float(targetTokens.intersection(promptTokens).count) / Float(targetTokens.count)
    }

    /// Token ids of `text` without start, end and padding tokens.
    func contentTokens(_ text: String, _ model: StableDiffusionModel) -> Set<Int32> {
        let t = model.tokenizer
        return Set(t.encode(text).filter { $0 != t.bosID && $0 != t.eosID && $0 != t.padID })
    }
}

/// Cosine similarity of two tensors flattened.
func cosine(_ a: Tensor, _ b: Tensor) -> Float {
    precondition(a.count == b.count)
    var dot = 0.0, na = 0.0, nb = 0.0
    let x = a.pointer, y = b.pointer
    for i in 0..<a.count {
        let p = Double(x[i]), q = Double(y[i])
        dot += p * q; na += p * p; nb += q * q
    }
    return na == 0 || nb == 0 ? 0 : Float(dot / (na.squareRoot() * nb.squareRoot()))
}
