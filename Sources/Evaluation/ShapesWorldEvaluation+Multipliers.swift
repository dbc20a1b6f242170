extension ShapesWorldEvaluation {
    /// For each membrane, the targets it stands for: those of ``targets`` its own targets name,
    /// or all of them when it names none (its targets are not ShapesWorld words).
    var membraneConcepts: [[ShapesWorldConcept]] {
        membranes.map { membrane in
            let named = membrane.targets.flatMap(ShapesWorldConcept.concepts(in:))
            let own = targets.filter(named.contains)
            return own.isEmpty ? targets : own
        }
    }

    /// `multipliers` (one list per membrane, one value per prompt) turned around: prompt text
    /// to each membrane's multiplier on it.
    static func byPrompt(_ multipliers: [[Float]], prompts: [ShapesWorld.Prompt]) -> [String: [Float]] {
        var result: [String: [Float]] = [:]
        for (index, prompt) in prompts.enumerated() {
            result[prompt.text] = multipliers.map { $0[index] }
        }
        return result
    }
}
