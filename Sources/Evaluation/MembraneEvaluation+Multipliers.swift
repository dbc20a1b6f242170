extension MembraneEvaluation {
    /// The multipliers a transport gave the membranes (1: the membrane acts fully, 0: not at
    /// all), pooled over membrane-and-prompt pairs. A value is `nil` when no pair falls in its
    /// group.
    public struct Multipliers: Sendable, Equatable, Codable {
        /// Mean over each membrane and the prompts naming one of its targets in ShapesWorld's word.
        public var targets: Double?
        /// Mean over each membrane and the prompts writing one of its targets with a synonym.
        public var targetSynonyms: Double?
        /// Mean over each membrane and the prompts (synonym prompts included) asking for no target.
        public var others: Double?
        /// The largest multiplier of a membrane on a prompt asking for no target.
        public var othersMaximum: Double?

        /// A summary given by its parts.
        public init(targets: Double? = nil, targetSynonyms: Double? = nil, others: Double? = nil, othersMaximum: Double? = nil) {
            self.targets = targets
            self.targetSynonyms = targetSynonyms
            self.others = others
            self.othersMaximum = othersMaximum
        }
    }

    /// Summarises the multipliers of one transport.
    /// - Parameters:
    ///   - values: for each membrane, its multiplier on each of `prompts`, in order.
    ///   - prompts: the evaluated prompts.
    ///   - concepts: for each membrane, the targets it stands for.
    ///   - targets: every target of the evaluation.
    public static func multipliers(_ values: [[Float]], prompts: [ShapesWorld.Prompt], concepts: [[ShapesWorldConcept]],
                                   targets: [ShapesWorldConcept]) -> Multipliers {
        precondition(values.count == concepts.count && values.allSatisfy { $0.count == prompts.count },
                     "one multiplier per membrane and prompt")
        var named: [Double] = []
        var paraphrased: [Double] = []
        var others: [Double] = []
        for (membrane, row) in values.enumerated() {
            for (prompt, value) in zip(prompts, row.map(Double.init)) {
                let own = concepts[membrane].filter { $0.isNamed(by: prompt) }
                if own.contains(where: { $0 != prompt.synonym }) {
                    named.append(value)
                } else if !own.isEmpty {
                    paraphrased.append(value)
                } else if !targets.contains(where: { $0.isNamed(by: prompt) }) {
                    others.append(value)
                }
            }
        }
        return Multipliers(targets: mean(named), targetSynonyms: mean(paraphrased), others: mean(others),
                           othersMaximum: others.max())
    }

    /// The mean of `values`, `nil` when there are none.
    private static func mean(_ values: [Double]) -> Double? {
        values.isEmpty ? nil : values.reduce(0, +) / Double(values.count)
    }
}
