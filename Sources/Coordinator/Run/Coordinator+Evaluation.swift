#if canImport(Glibc)
import Glibc
#endif
import AtomicFiles
import Evaluation
import Foundation
import Membranes

/// Evaluated jobs: the finished membrane is written to CONCEPT/candidate/ while the group
/// evaluates it; the evaluation's report goes next to it, and the membrane is published (moved
/// to CONCEPT/CONCEPT.safetensors, its report to CONCEPT/evaluation/) only when it clears the
/// gate. A membrane that misses the gate stays a candidate; the published membrane of an
/// earlier run, if any, stays in place.
extension Coordinator {
    /// Writes job `k`'s finished membrane as its candidate, and its final checkpoint so an
    /// interrupted evaluation resumes without training again.
    func writeCandidate(_ k: Int) throws {
        guard let membrane = try finishedMembrane(k) else { return }
        let job = entries[k].job
        try saveCheckpoint(k)
        try FileManager.default.createDirectory(at: library.candidateFolder(job.name), withIntermediateDirectories: true)
        try library.syncFolder(library.folder(job.name))
        try membrane.write(to: library.candidateURL(job.name))
        logger.info("\(job.name): trained; evaluating it on ranks \(groups[entries[k].group ?? 0].map(String.init).joined(separator: ","))")
    }

    /// Assembles the group's evaluation of job `k`, writes its report, applies the gate,
    /// publishes or holds back the membrane, and records it in the index.
    func evaluated(_ k: Int, seconds: Double, ranks: Int, results: Data) throws {
        let job = entries[k].job
        guard let evaluation = job.evaluation, entries[k].state == .evaluating else { return }
        let units = try JSONDecoder().decode([ClassEvaluation.UnitResult].self, from: results)
        let candidate = library.candidateURL(job.name)
        let membrane = try Membrane.read(from: candidate, sites: model.unet.adapterSites)
        var options = ClassEvaluation.Options(plan: evaluation.plan)
        options.membranes = [membrane]
        options.membraneFiles = [library.relativePath(library.membraneURL(job.name))]
        options.transports = [try ShapesWorldEvaluation.NamedTransport(parsing: evaluation.transport)]
        options.modelName = model.directory.lastPathComponent
        options.readerName = evaluation.reader.description
        let outcome = try ClassEvaluation(options: options, model: model, scorer: nil).assemble(units)
        let staged = library.candidateFolder(job.name).appendingPathComponent(LibraryLayout.evaluation, isDirectory: true)
        try? FileManager.default.removeItem(at: staged)
        try outcome.write(to: staged)

        let verdict = evaluation.gate?.verdict(outcome.report)
        let published = verdict?.passed ?? true
        var reportFolder = staged
        if published {
            let target = library.evaluationFolder(job.name)
            try? FileManager.default.removeItem(at: target)
            try move(staged, to: target)
            try move(candidate, to: library.membraneURL(job.name))
            try? FileManager.default.removeItem(at: library.candidateFolder(job.name))
            try library.syncFolder(library.folder(job.name))
            reportFolder = target
        }
        let record = EvaluationRecord(
            hash: evaluation.hash, reader: evaluation.reader.description, transport: evaluation.transport,
            base: .init(outcome.report.base), after: .init(outcome.report.summary(evaluation.transport) ?? outcome.report.base),
            verdict: verdict, published: published,
            report: library.relativePath(reportFolder.appendingPathComponent(ClassEvaluation.Outcome.reportFile)),
            grid: library.relativePath(reportFolder.appendingPathComponent(ClassEvaluation.Outcome.gridFile)),
            ranks: ranks, seconds: seconds)
        let file = library.relativePath(published ? library.membraneURL(job.name) : candidate)
        index.entries[job.name] = libraryEntry(k, targets: membrane.targets, file: file, evaluation: record)
        try library.writeIndex(index)
        AtomicFile.remove(library.checkpointURL(job.name))
        entries[k].state = published ? .done : .heldBack
        if published {
            logger.info("\(job.name): evaluated and published (\(verdict == nil ? "no gate" : "gate passed"))")
        } else {
            logger.warning("\(job.name): missed its gate, kept in \(library.relativePath(library.candidateFolder(job.name))): \(verdict?.reasons.joined(separator: "; ") ?? "")")
        }
        if let g = entries[k].group { groupJob[g] = nil }
        entries[k].group = nil
        updateProgress()
        writeStatus(force: true)
    }

    /// Renames `source` to `target` (replacing a file), then syncs the target's folder.
    func move(_ source: URL, to target: URL) throws {
        guard rename(source.path, target.path) == 0 else {
            throw LibraryError(path: target.path, problem: "cannot move \(source.path) here: \(String(cString: strerror(errno)))")
        }
        try library.syncFolder(target.deletingLastPathComponent())
    }
}
