import StableDiffusion
import TensorEngine

/// Facilitated Transport: how strongly each membrane acts on a prompt. A membrane whose targets
/// are far from the prompt lets it through almost untouched (multiplier near 0); one whose target
/// the prompt names acts fully (multiplier near 1).
///
/// The default rule is the sharper ``Rule/tokens``: the reference rule's flattened 77-token
/// cosine is dominated by padding positions, so it stays high for prompts that share nothing
/// with the target and lets the membrane act on them (README, "Facilitated Transport").
public struct FacilitatedTransport {
    /// How the prompt-to-target similarity is measured.
    public enum Rule: String, Sendable, CaseIterable {
        /// The reference: max of the cosine of the flattened 77-token embeddings and the share of
        /// the target's tokens present in the prompt.
        case reference
        /// The share of target tokens present in the prompt only (padding positions, which
        /// dominate the flattened cosine, play no part).
        case tokens
    }

    public var rule: Rule = .tokens

    public init(rule: Rule = .tokens) { self.rule = rule }

    /// The multiplier of a membrane with `targets` for one prompt.
    public func multiplier(prompt: String, targets: [String], model: StableDiffusionModel,
                           promptEmbedding: Tensor? = nil) -> Float {
        multiplier(prompt: prompt, targets: targets, model: model, promptEmbedding: promptEmbedding) { model.encode(prompts: [$0]) }
    }

    /// ``multiplier(prompt:targets:model:promptEmbedding:)`` with target embeddings from `targetEmbedding`.
    func multiplier(prompt: String, targets: [String], model: StableDiffusionModel, promptEmbedding: Tensor?,
                    targetEmbedding: (String) -> Tensor) -> Float {
        guard !targets.isEmpty else { return 1 }
        let promptTokens = contentTokens(prompt, model)
        var best: Float = 0
        let embedding = rule == .reference ? (promptEmbedding ?? model.encode(prompts: [prompt])) : nil
        for target in targets {
            let targetTokens = contentTokens(target, model)
            var overlap: Float = 0
            if !targetTokens.isEmpty {
                overlap = Float(targetTokens.intersection(promptTokens).count) / Float(targetTokens.count)
            }
            var score = overlap
            if let embedding {
                score = max(score, cosine(embedding, targetEmbedding(target)))
            }
            best = max(best, score)
        }
        return min(max(best, 0), 1)
    }

    /// Multipliers for every row prompt of a batch, one list per membrane (cached by prompt).
    public func multipliers(rowPrompts: [String], membranes: [Membrane], model: StableDiffusionModel) -> [[Float]] {
        var cache: [String: [Float]] = [:]
        var targetEmbeddings: [String: Tensor] = [:]
        func targetEmbedding(_ target: String) -> Tensor {
            if let known = targetEmbeddings[target] { return known }
            let e = model.encode(prompts: [target])
            targetEmbeddings[target] = e
            return e
        }
        var perMembrane = Array(repeating: [Float](), count: membranes.count)
        for prompt in rowPrompts {
            let values: [Float]
            if let cached = cache[prompt] {
                values = cached
            } else {
                let embedding = rule == .reference ? model.encode(prompts: [prompt]) : nil
                values = membranes.map {
                    multiplier(prompt: prompt, targets: $0.targets, model: model, promptEmbedding: embedding, targetEmbedding: targetEmbedding)
                }
                cache[prompt] = values
            }
            for i in membranes.indices { perMembrane[i].append(values[i]) }
        }
        return perMembrane
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
