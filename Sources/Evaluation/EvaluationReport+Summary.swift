import Foundation

extension EvaluationReport {
    /// A few lines for people: base accuracy, then per transport the target rates, the erosion
    /// of other prompts and the membranes' multipliers; with synonyms, the same for the synonym
    /// prompts.
    public func humanSummary() -> String {
        var lines: [String] = []
        let s = settings
        lines.append("base model: colour \(percent(base.colour)), shape \(percent(base.shape)) read as prompted"
                     + " (\(base.pictures) pictures: \(s.prompts.count) prompts x \(s.seeds) seeds, \(s.steps) steps, cfg \(s.cfg))")
        if let synonyms = s.synonyms, let synonymBase {
            lines.append("base model on synonym prompts: colour \(percent(synonymBase.colour)), shape \(percent(synonymBase.shape))"
                         + " read as meant (\(synonymBase.pictures) pictures: \(synonyms.prompts.count) prompts from \(synonyms.file))")
        }
        for run in runs {
            lines.append("transport \(run.transport) (\(seconds(run.seconds))):")
            for target in run.targets {
                lines.append("  \(target.concept) seen in \(percent(target.before)) -> \(percent(target.after))"
                             + " of \(target.pictures) pictures of prompts naming it")
            }
            for target in run.synonymTargets ?? [] {
                let words = (s.synonyms?.words[target.concept] ?? []).joined(separator: ", ")
                lines.append("  \(target.concept) seen in \(percent(target.before)) -> \(percent(target.after))"
                             + " of \(target.pictures) pictures of prompts naming it by a synonym (\(words))")
            }
            lines.append("  " + othersLine(run.others))
            if let otherSynonyms = run.otherSynonyms {
                lines.append("  " + othersLine(otherSynonyms, label: "other synonym prompts"))
            }
            if let multipliers = run.multiplierSummary {
                lines.append("  " + multipliersLine(multipliers))
            }
        }
        lines.append("total \(seconds(timing.totalSeconds))")
        return lines.joined(separator: "\n")
    }

    /// One line about the prompts that name no target, introduced by `label`.
    public func othersLine(_ others: MembraneEvaluation.Others, label: String = "other prompts") -> String {
        let colour = "colour \(percent(others.before.colour)) -> \(percent(others.after.colour)) (\(points(-others.colourDropPoints)))"
        let shape = "shape \(percent(others.before.shape)) -> \(percent(others.after.shape)) (\(points(-others.shapeDropPoints)))"
        let psnr = others.psnr
        var distance = String(format: "PSNR %.1f dB", psnr.meanDB)
        if psnr.pictures > 0 && psnr.identicalPictures == psnr.pictures {
            distance += " (capped: every picture identical to the base model's)"
        } else if psnr.identicalPictures > 0 {
            distance += " (\(psnr.identicalPictures) pictures identical, counted as \(Int(psnr.capDB)) dB)"
        }
        return "\(label) (\(others.pictures) pictures): \(colour), \(shape), \(distance)"
    }

    /// One line about the membranes' multipliers: "multipliers: 1.00 on target prompts, ...".
    public func multipliersLine(_ multipliers: MembraneEvaluation.Multipliers) -> String {
        var parts: [String] = []
        if let value = multipliers.targets { parts.append("\(factor(value)) on target prompts") }
        if let value = multipliers.targetSynonyms { parts.append("\(factor(value)) on target synonyms") }
        if let value = multipliers.others {
            parts.append("\(factor(value)) on other prompts (max \(factor(multipliers.othersMaximum ?? value)))")
        }
        return "multipliers (mean): " + (parts.isEmpty ? "no prompt" : parts.joined(separator: ", "))
    }
}

/// "97.5%".
private func percent(_ share: Double) -> String { String(format: "%.1f%%", 100 * share) }

/// "+1.0 pt" / "-2.5 pt".
private func points(_ value: Double) -> String { String(format: "%+.1f pt", value) }

/// "12.3 s".
private func seconds(_ value: Double) -> String { String(format: "%.1f s", value) }

/// "0.25".
private func factor(_ value: Double) -> String { String(format: "%.2f", value) }
