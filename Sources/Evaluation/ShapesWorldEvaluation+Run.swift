extension ShapesWorldEvaluation {
    /// The metrics of the transport `name` from the readings of every picture without
    /// (`before`) and with (`after`) the membranes, prompt-major in the order of `prompts`: the
    /// 30 ShapesWorld prompts, then the synonym prompts. `multipliers` holds each membrane's
    /// multiplier on each prompt.
    func transportRun(_ name: String, seconds: Double, before: [PictureReading], after: [PictureReading], psnr: [Double],
                      multipliers: [[Float]], prompts: [ShapesWorld.Prompt]) -> EvaluationReport.Run {
        let plain = ShapesWorld.prompts.count * options.seeds
        let summary = MembraneEvaluation.summarise(targets: targets, before: Array(before[..<plain]),
                                                   after: Array(after[..<plain]), psnr: Array(psnr[..<plain]))
        var run = EvaluationReport.Run(transport: name, seconds: seconds, targets: summary.targets,
                                       others: summary.others, all: summary.all)
        if synonyms != nil {
            let synonymSummary = MembraneEvaluation.summariseSynonyms(targets: targets, before: Array(before[plain...]),
                                                                      after: Array(after[plain...]), psnr: Array(psnr[plain...]))
            run.synonymTargets = synonymSummary.targets
            run.otherSynonyms = synonymSummary.others
        }
        run.multiplierSummary = MembraneEvaluation.multipliers(multipliers, prompts: prompts, concepts: membraneConcepts,
                                                               targets: targets)
        return run
    }

    /// The synonyms file and prompts for the report, `nil` without synonyms.
    var synonymSettings: EvaluationReport.SynonymSettings? {
        guard let synonyms, let synonymsFile else { return nil }
        return EvaluationReport.SynonymSettings(file: synonymsFile.path, words: synonyms.table,
                                                prompts: synonyms.prompts.map(\.text))
    }
}
