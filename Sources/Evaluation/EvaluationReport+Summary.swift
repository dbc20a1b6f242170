import Foundation

extension EvaluationReport {
    /// A few lines for people: base accuracy, then per transport the target rates and the
    /// erosion of other prompts.
    public func humanSummary() -> String {
        var lines: [String] = []
        let s = settings
        lines.append("base model: colour \(percent(base.colour)), shape \(percent(base.shape)) read as prompted"
                     + " (\(base.pictures) pictures: \(s.prompts.count) prompts x \(s.seeds) seeds, \(s.steps) steps, cfg \(s.cfg))")
        for run in runs {
            lines.append("transport \(run.transport) (\(seconds(run.seconds))):")
            for target in run.targets {
                lines.append("  \(target.concept) seen in \(percent(target.before)) -> \(percent(target.after))"
                             + " of \(target.pictures) pictures of prompts naming it")
            }
            lines.append("  " + othersLine(run.others))
        }
        lines.append("total \(seconds(timing.totalSeconds))")
        return lines.joined(separator: "\n")
    }

    /// One line about the prompts that name no target.
    public func othersLine(_ others: MembraneEvaluation.Others) -> String {
        let colour = "colour \(percent(others.before.colour)) -> \(percent(others.after.colour)) (\(points(-others.colourDropPoints)))"
        let shape = "shape \(percent(others.before.shape)) -> \(percent(others.after.shape)) (\(points(-others.shapeDropPoints)))"
        let psnr = others.psnr
        var distance = String(format: "PSNR %.1f dB", psnr.meanDB)
        if psnr.pictures > 0 && psnr.identicalPictures == psnr.pictures {
            distance += " (capped: every picture identical to the base model's)"
        } else if psnr.identicalPictures > 0 {
            distance += " (\(psnr.identicalPictures) pictures identical, counted as \(Int(psnr.capDB)) dB)"
        }
        return "other prompts (\(others.pictures) pictures): \(colour), \(shape), \(distance)"
    }
}

/// "97.5%".
private func percent(_ share: Double) -> String { String(format: "%.1f%%", 100 * share) }

/// "+1.0 pt" / "-2.5 pt".
private func points(_ value: Double) -> String { String(format: "%+.1f pt", value) }

/// "12.3 s".
private func seconds(_ value: Double) -> String { String(format: "%.1f s", value) }
