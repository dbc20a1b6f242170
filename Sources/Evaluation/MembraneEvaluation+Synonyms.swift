extension MembraneEvaluation {
    /// The metrics of the synonym prompts (``ShapesWorldSynonyms/prompts``) of one evaluation.
    public struct SynonymSummary: Sendable, Equatable {
        /// One entry per target that some prompt writes with a synonym, in the order of the
        /// targets: how often it is still seen in the pictures of those prompts.
        public var targets: [TargetRate]
        /// The synonym prompts that ask for no target (in ShapesWorld's words or in synonyms).
        public var others: Others
    }

    /// The metrics of synonym prompts; arguments as in ``summarise(targets:before:after:psnr:capDB:)``.
    /// A target's rate counts the pictures of the prompts writing that target with a synonym;
    /// synonym prompts naming a target in ShapesWorld's word count in neither part.
    public static func summariseSynonyms(targets: [ShapesWorldConcept], before: [PictureReading], after: [PictureReading],
                                         psnr: [Double], capDB: Double = psnrCapDB) -> SynonymSummary {
        var rates: [TargetRate] = []
        for concept in targets {
            let paraphrased = { (reading: PictureReading) in reading.prompt.synonym == concept }
            let rate = targetRate(of: concept, before: before.filter(paraphrased), after: after.filter(paraphrased))
            if rate.pictures > 0 { rates.append(rate) }
        }
        let others = summarise(targets: targets, before: before, after: after, psnr: psnr, capDB: capDB).others
        return SynonymSummary(targets: rates, others: others)
    }
}
